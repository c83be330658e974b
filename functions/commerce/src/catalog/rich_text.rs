//! Rich text as staff type it (a product's educational content), and the only HTML it
//! ever becomes. The grammar is small and fixed:
//!
//! - paragraphs, separated by a blank line (lines of one paragraph are joined);
//! - `## ` at the start of a line: a heading;
//! - `- ` (or `* `) at the start of a line: an item of a list;
//! - `**bold**` within a line;
//! - `[text](https://…)` within a line: a link (`https:`, `http:`, `mailto:` or a path
//!   of the shop's own, `/…`; anything else stays text).
//!
//! The text is kept as typed and rendered by [`to_html`] on the way out: every
//! character of it is escaped, and the only tags are the ones written here (`h3`, `p`,
//! `ul`, `li`, `strong`, `a` with `href` and `rel`). No HTML from outside is ever kept
//! or passed through, so there is nothing to sanitise after the fact. (A Markdown
//! library and an HTML sanitiser would do the same for a larger grammar, at a cost in
//! the Worker's size that this one does not need.)

use std::fmt::Write;

/// The longest educational content, in characters.
pub const MAX_RICH_TEXT: usize = 20_000;

/// `typed` as it is kept: line ends made `\n`, trailing space trimmed; refused when
/// longer than [`MAX_RICH_TEXT`] or holding control characters other than line ends
/// and tabs.
pub fn check(typed: &str) -> Result<String, String> {
    let text = typed.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim_end();
    let text = text.trim_start_matches('\n');
    if text.chars().count() > MAX_RICH_TEXT {
        return Err(format!("must be {MAX_RICH_TEXT} characters or fewer"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("control characters are not accepted".to_owned());
    }
    Ok(text.to_owned())
}

/// One block of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block<'a> {
    Heading(&'a str),
    Paragraph(Vec<&'a str>),
    List(Vec<&'a str>),
}

fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut out: Vec<Block<'_>> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            out.push(Block::Paragraph(Vec::new()));
        } else if let Some(heading) = line.strip_prefix("## ") {
            out.push(Block::Heading(heading.trim()));
        } else if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
            match out.last_mut() {
                Some(Block::List(items)) => items.push(item.trim()),
                _ => out.push(Block::List(vec![item.trim()])),
            }
        } else {
            match out.last_mut() {
                Some(Block::Paragraph(lines)) => lines.push(line),
                _ => out.push(Block::Paragraph(vec![line])),
            }
        }
    }
    out.retain(|b| !matches!(b, Block::Paragraph(lines) if lines.is_empty()));
    out
}

/// `text` (as [`check`] keeps it) as HTML: empty for empty text.
pub fn to_html(text: &str) -> String {
    let mut html = String::new();
    for block in blocks(text) {
        match block {
            Block::Heading(h) => {
                html.push_str("<h3>");
                inline(&mut html, h);
                html.push_str("</h3>\n");
            }
            Block::Paragraph(lines) => {
                html.push_str("<p>");
                inline(&mut html, &lines.join(" "));
                html.push_str("</p>\n");
            }
            Block::List(items) => {
                html.push_str("<ul>\n");
                for item in items {
                    html.push_str("<li>");
                    inline(&mut html, item);
                    html.push_str("</li>\n");
                }
                html.push_str("</ul>\n");
            }
        }
    }
    html
}

/// `text` with its `**bold**` and `[links](…)`, everything else escaped.
fn inline(html: &mut String, text: &str) {
    let mut rest = text;
    while !rest.is_empty() {
        let bold = rest.find("**");
        let link = rest.find('[');
        match (bold, link) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                let after = &rest[b + 2..];
                match after.find("**") {
                    Some(end) if end > 0 => {
                        escape(html, &rest[..b]);
                        html.push_str("<strong>");
                        escape(html, &after[..end]);
                        html.push_str("</strong>");
                        rest = &after[end + 2..];
                    }
                    _ => {
                        escape(html, &rest[..b + 2]);
                        rest = after;
                    }
                }
            }
            (_, Some(l)) => {
                escape(html, &rest[..l]);
                match link_at(&rest[l..]) {
                    Some((label, href, used)) => {
                        html.push_str("<a href=\"");
                        escape(html, href);
                        html.push_str("\" rel=\"nofollow noopener\">");
                        escape(html, label);
                        html.push_str("</a>");
                        rest = &rest[l + used..];
                    }
                    None => {
                        escape(html, "[");
                        rest = &rest[l + 1..];
                    }
                }
            }
            _ => {
                escape(html, rest);
                rest = "";
            }
        }
    }
}

/// A link at the start of `s` (`[label](href)`): its label, its address and the bytes
/// it takes; `None` when it is not one, or its address is not an allowed kind.
fn link_at(s: &str) -> Option<(&str, &str, usize)> {
    let close = s.find("](")?;
    let label = &s[1..close];
    if label.is_empty() || label.contains('[') {
        return None;
    }
    let after = &s[close + 2..];
    let end = after.find(')')?;
    let href = &after[..end];
    let allowed = ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| href.len() > scheme.len() && href.starts_with(scheme))
        || (href.starts_with('/') && !href.starts_with("//"));
    if !allowed || href.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some((label, href, close + 2 + end + 1))
}

/// `text` with `&`, `<`, `>`, `"` and `'` as character references (safe in text and
/// in a quoted attribute).
fn escape(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => {
                let _ = html.write_char(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_becomes_its_few_tags() {
        let text = "## How to use it\nOne scoop in **250 ml** of water,\nonce a day.\n\n- Sip slowly\n* With food\n\nMore in [our guide](https://example.com/guide) or [here](/pages/guide).";
        assert_eq!(
            to_html(text),
            "<h3>How to use it</h3>\n\
             <p>One scoop in <strong>250 ml</strong> of water, once a day.</p>\n\
             <ul>\n<li>Sip slowly</li>\n<li>With food</li>\n</ul>\n\
             <p>More in <a href=\"https://example.com/guide\" rel=\"nofollow noopener\">our guide</a> \
             or <a href=\"/pages/guide\" rel=\"nofollow noopener\">here</a>.</p>\n"
        );
        assert_eq!(to_html(""), "");
        assert_eq!(to_html("\n\n\n"), "");
    }

    #[test]
    fn nothing_typed_becomes_markup_of_its_own() {
        let hostile = [
            ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
            (
                "[click](javascript:alert(1))",
                "<p>[click](javascript:alert(1))</p>\n",
            ),
            ("[x](//evil.example)", "<p>[x](//evil.example)</p>\n"),
            (
                "[x](https://a.example/\"onmouseover=\"alert(1))",
                "<p><a href=\"https://a.example/&quot;onmouseover=&quot;alert(1\" rel=\"nofollow noopener\">x</a>)</p>\n",
            ),
            ("**<b>**", "<p><strong>&lt;b&gt;</strong></p>\n"),
            ("** not bold", "<p>** not bold</p>\n"),
            ("## <img src=x onerror=alert(1)>", "<h3>&lt;img src=x onerror=alert(1)&gt;</h3>\n"),
            ("a & b 'quoted'", "<p>a &amp; b &#39;quoted&#39;</p>\n"),
        ];
        for (typed, html) in hostile {
            assert_eq!(to_html(typed), html, "{typed}");
        }
    }

    #[test]
    fn what_is_kept_is_checked() {
        assert_eq!(check("a\r\nb\r\n\r\n").unwrap(), "a\nb");
        assert!(check("bell \u{7}").is_err());
        assert!(check(&"x".repeat(MAX_RICH_TEXT + 1)).is_err());
        assert_eq!(check("\ttabbed").unwrap(), "\ttabbed");
    }
}
