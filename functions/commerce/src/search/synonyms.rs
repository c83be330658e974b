//! A store's synonym groups ("tee, t-shirt"): equivalent terms a query word also
//! matches, as staff write them, checked before they are kept ([`super::repo::set_synonyms`]).

use serde::{Deserialize, Serialize};

/// At most this many groups per store.
pub const MAX_GROUPS: usize = 200;
/// Terms per group.
pub const MAX_TERMS: usize = 20;
/// Characters per term.
pub const MAX_TERM_CHARS: usize = 60;

/// Checked synonym groups: each of 2 to [`MAX_TERMS`] distinct terms (trimmed, each
/// with a letter or a digit), at most [`MAX_GROUPS`] groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Vec<String>>", into = "Vec<Vec<String>>")]
pub struct SynonymGroups(Vec<Vec<String>>);

/// What is wrong with a group: its place (from 0) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupError {
    pub index: usize,
    pub reason: String,
}

impl std::fmt::Display for GroupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "group {}: {}", self.index + 1, self.reason)
    }
}

impl SynonymGroups {
    /// Checks groups of terms: terms trimmed, empty ones and repeats (case aside) left out.
    pub fn check(groups: Vec<Vec<String>>) -> Result<Self, GroupError> {
        if groups.len() > MAX_GROUPS {
            return Err(GroupError {
                index: MAX_GROUPS,
                reason: format!("at most {MAX_GROUPS} groups"),
            });
        }
        let mut out = Vec::with_capacity(groups.len());
        for (index, group) in groups.into_iter().enumerate() {
            let fail = |reason: String| GroupError { index, reason };
            let mut terms: Vec<String> = Vec::new();
            for term in group {
                let term = term.trim();
                if term.is_empty()
                    || terms
                        .iter()
                        .any(|t| t.to_lowercase() == term.to_lowercase())
                {
                    continue;
                }
                if term.chars().count() > MAX_TERM_CHARS {
                    return Err(fail(format!(
                        "“{term}” is longer than {MAX_TERM_CHARS} characters"
                    )));
                }
                if term.chars().any(char::is_control) {
                    return Err(fail("a term holds a control character".into()));
                }
                if !term.chars().any(char::is_alphanumeric) {
                    return Err(fail(format!("“{term}” has no letter or digit")));
                }
                terms.push(term.to_owned());
            }
            if terms.len() < 2 {
                return Err(fail(
                    "a group needs at least two different terms, separated by commas".into(),
                ));
            }
            if terms.len() > MAX_TERMS {
                return Err(fail(format!("at most {MAX_TERMS} terms in a group")));
            }
            out.push(terms);
        }
        Ok(Self(out))
    }

    /// From the settings page's text: one group per line, terms separated by commas;
    /// blank lines are skipped. An error names the line (from 1).
    pub fn from_text(text: &str) -> Result<Self, String> {
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        let groups = lines
            .iter()
            .map(|(_, l)| l.split(',').map(str::to_owned).collect())
            .collect();
        Self::check(groups).map_err(|e| {
            let line = lines.get(e.index).map_or(e.index, |(n, _)| *n);
            format!("Line {}: {}.", line + 1, e.reason)
        })
    }

    /// One group per line, terms separated by commas: what [`from_text`] reads.
    ///
    /// [`from_text`]: SynonymGroups::from_text
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|g| g.join(", "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn groups(&self) -> &[Vec<String>] {
        &self.0
    }
}

impl TryFrom<Vec<Vec<String>>> for SynonymGroups {
    type Error = String;

    fn try_from(groups: Vec<Vec<String>>) -> Result<Self, String> {
        Self::check(groups).map_err(|e| e.to_string())
    }
}

impl From<SynonymGroups> for Vec<Vec<String>> {
    fn from(g: SynonymGroups) -> Self {
        g.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_one_group_per_line() {
        let g = SynonymGroups::from_text("tee, T-Shirt\n\n  jumper ,sweater, Jumper,\n").unwrap();
        assert_eq!(
            g.groups(),
            [vec!["tee", "T-Shirt"], vec!["jumper", "sweater"]]
        );
        assert_eq!(g.to_text(), "tee, T-Shirt\njumper, sweater");
        assert_eq!(
            SynonymGroups::from_text("").unwrap(),
            SynonymGroups::default()
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        assert_eq!(
            SynonymGroups::from_text("tee, t-shirt\n\nhoodie").unwrap_err(),
            "Line 3: a group needs at least two different terms, separated by commas."
        );
        assert!(
            SynonymGroups::from_text("a, a").is_err(),
            "a repeat is one term"
        );
        assert!(SynonymGroups::from_text("tee, ---")
            .unwrap_err()
            .contains("no letter"));
        let long = format!("tee, {}", "x".repeat(61));
        assert!(SynonymGroups::from_text(&long)
            .unwrap_err()
            .contains("longer than 60"));
        let many = (0..21)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(SynonymGroups::from_text(&many)
            .unwrap_err()
            .contains("at most 20"));
        let lines = "a, b\n".repeat(201);
        assert_eq!(
            SynonymGroups::from_text(&lines).unwrap_err(),
            "Line 201: at most 200 groups."
        );
    }

    #[test]
    fn json_is_checked_as_text_is() {
        let ok: SynonymGroups = serde_json::from_str(r#"[["tee", "t-shirt"]]"#).unwrap();
        assert_eq!(ok.groups().len(), 1);
        let err = serde_json::from_str::<SynonymGroups>(r#"[["tee"]]"#).unwrap_err();
        assert!(err.to_string().contains("group 1: a group needs"), "{err}");
    }
}
