//! The stylesheet, embedded in the binary and addressed by its content hash: a change
//! makes a new URL, so the old one can be cached for a year.

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Files;

/// An embedded file ready to serve.
pub struct Asset {
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

/// The first 16 hex digits of a file's SHA-256.
fn short_hash(name: &str) -> Option<String> {
    let file = Files::get(name)?;
    Some(
        file.metadata.sha256_hash()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// `/assets/style.<hash>.css`
pub fn stylesheet_href() -> String {
    format!(
        "/assets/style.{}.css",
        short_hash("style.css").unwrap_or_default()
    )
}

/// The file behind `/assets/<stem>.<hash>.<ext>`, if the hash is the file's current one.
pub fn get(file_name: &str) -> Option<Asset> {
    let (stem, rest) = file_name.split_once('.')?;
    let (hash, ext) = rest.split_once('.')?;
    let name = format!("{stem}.{ext}");
    if short_hash(&name)? != hash {
        return None;
    }
    let content_type = match ext {
        "css" => "text/css; charset=utf-8",
        _ => return None,
    };
    Some(Asset {
        body: Files::get(&name)?.data.into_owned(),
        content_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_is_served_only_under_its_current_hash() {
        let href = stylesheet_href();
        let file = href.strip_prefix("/assets/").unwrap();
        assert_eq!(file.len(), "style..css".len() + 16);
        let css = get(file).expect("stylesheet");
        assert!(String::from_utf8(css.body).unwrap().contains(".grid"));
        assert!(get("style.0000000000000000.css").is_none());
        assert!(get("missing.0000000000000000.css").is_none());
    }
}
