//! Product attributes: the typed facts a store describes its products with (material:
//! linen, organic: yes, weight per serving: 30), beyond options that make variants.
//! A store defines each attribute once (a key, a label, a kind, the choices of a
//! list); a product holds at most one value per attribute, checked against its kind.
//! Booleans and choices may be offered as filters on the storefront's listings and in
//! the Store API (`attributes[material]=linen`).
//!
//! The definition and its checks are here; [`repo`] writes and reads them and the
//! products' values; [`json`] is the admin API's shape.

pub mod json;
pub mod repo;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::edit::FieldErrors;
use crate::ids::AttributeId;

/// What values an attribute takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeKind {
    Text,
    Number,
    Boolean,
    /// One of the attribute's choices.
    Choice,
}

impl AttributeKind {
    pub const ALL: [AttributeKind; 4] = [
        AttributeKind::Text,
        AttributeKind::Number,
        AttributeKind::Boolean,
        AttributeKind::Choice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttributeKind::Text => "text",
            AttributeKind::Number => "number",
            AttributeKind::Boolean => "boolean",
            AttributeKind::Choice => "choice",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AttributeKind::Text => "Text",
            AttributeKind::Number => "Number",
            AttributeKind::Boolean => "Yes or no",
            AttributeKind::Choice => "One of a list",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether listings can offer it as a filter (a short list of values).
    pub fn filterable(self) -> bool {
        matches!(self, AttributeKind::Boolean | AttributeKind::Choice)
    }
}

/// The longest label and choice.
pub const MAX_LABEL: usize = 100;
/// The most choices an attribute offers.
pub const MAX_CHOICES: usize = 100;
/// The longest text value.
pub const MAX_TEXT: usize = 500;
/// The most attributes a store defines.
pub const MAX_ATTRIBUTES: i64 = 100;

/// An attribute as typed: choices one per line (or separated by commas).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AttributeInput {
    pub label: String,
    /// Empty: made from the label (`Fabric weight` -> `fabric_weight`).
    pub key: String,
    pub kind: String,
    pub choices: String,
    /// "yes" when listings offer it as a filter (a form's box).
    pub filterable: String,
}

/// An attribute that passed [`AttributeInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeFields {
    pub key: String,
    pub label: String,
    pub kind: AttributeKind,
    pub choices: Vec<String>,
    pub filterable: bool,
}

/// `label` as an attribute key: lower case ASCII words joined by `_`.
pub fn key_from(label: &str) -> String {
    let mut key = super::edit::handle_from(label).replace('-', "_");
    key.truncate(40);
    while key.ends_with('_') {
        key.pop();
    }
    if key.starts_with(|c: char| c.is_ascii_digit()) {
        key.insert(0, 'a');
        key.truncate(40);
    }
    key
}

fn key_ok(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl AttributeInput {
    pub fn check(&self) -> Result<AttributeFields, FieldErrors> {
        let mut errors = Vec::new();
        let label = self.label.trim();
        if label.is_empty() || label.chars().count() > MAX_LABEL || label.contains(char::is_control)
        {
            errors.push((
                "label",
                format!("Name the attribute as shoppers read it (up to {MAX_LABEL} characters)."),
            ));
        }
        let key = match self.key.trim() {
            "" => key_from(label),
            typed => typed.to_owned(),
        };
        if !key_ok(&key) && !label.is_empty() {
            errors.push((
                "key",
                "a lower-case letter, then letters, digits and _ (up to 40), e.g. fabric_weight"
                    .to_owned(),
            ));
        }
        let kind = AttributeKind::parse(self.kind.trim());
        if kind.is_none() {
            errors.push((
                "kind",
                "Choose text, number, yes or no, or a list.".to_owned(),
            ));
        }
        let mut choices: Vec<String> = Vec::new();
        if kind == Some(AttributeKind::Choice) {
            for choice in self.choices.split(['\n', ',']).map(str::trim) {
                if choice.is_empty() || choices.iter().any(|c| c.eq_ignore_ascii_case(choice)) {
                    continue;
                }
                if choice.chars().count() > MAX_LABEL || choice.contains(char::is_control) {
                    errors.push((
                        "choices",
                        format!("each choice up to {MAX_LABEL} characters"),
                    ));
                    break;
                }
                choices.push(choice.to_owned());
            }
            if choices.is_empty() {
                errors.push((
                    "choices",
                    "Give the list's choices, one per line.".to_owned(),
                ));
            } else if choices.len() > MAX_CHOICES {
                errors.push(("choices", format!("at most {MAX_CHOICES} choices")));
            }
        }
        let filterable = self.filterable == "yes";
        if filterable && kind.is_some_and(|k| !k.filterable()) {
            errors.push((
                "filterable",
                "Only yes-or-no and list attributes can be filters.".to_owned(),
            ));
        }
        match (kind, errors.is_empty()) {
            (Some(kind), true) => Ok(AttributeFields {
                key,
                label: label.to_owned(),
                kind,
                choices,
                filterable,
            }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

/// An attribute of the store, as it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub id: AttributeId,
    pub key: String,
    pub label: String,
    pub kind: AttributeKind,
    pub choices: Vec<String>,
    pub filterable: bool,
    /// Products with a value of it.
    pub products: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl Attribute {
    /// A value as a form or a CSV cell types it: `None` when empty (no value).
    pub fn value_from_text(&self, typed: &str) -> Result<Option<Value>, String> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        match self.kind {
            AttributeKind::Text => {
                if typed.chars().count() > MAX_TEXT || typed.contains(char::is_control) {
                    Err(format!("up to {MAX_TEXT} characters"))
                } else {
                    Ok(Some(Value::String(typed.to_owned())))
                }
            }
            AttributeKind::Number => number(typed)
                .map(Some)
                .ok_or_else(|| "a number, e.g. 250 or 1.5".to_owned()),
            AttributeKind::Boolean => match typed.to_ascii_lowercase().as_str() {
                "yes" | "true" | "1" => Ok(Some(Value::Bool(true))),
                "no" | "false" | "0" => Ok(Some(Value::Bool(false))),
                _ => Err("yes or no".to_owned()),
            },
            AttributeKind::Choice => self
                .choices
                .iter()
                .find(|c| c.eq_ignore_ascii_case(typed))
                .map(|c| Some(Value::String(c.clone())))
                .ok_or_else(|| format!("one of: {}", self.choices.join(", "))),
        }
    }

    /// A value as a JSON client sends it: the kind's own JSON type (or its text).
    pub fn value_from_json(&self, value: &Value) -> Result<Option<Value>, String> {
        match (self.kind, value) {
            (_, Value::Null) => Ok(None),
            (AttributeKind::Number, Value::Number(n)) => Ok(Some(Value::Number(n.clone()))),
            (AttributeKind::Boolean, Value::Bool(b)) => Ok(Some(Value::Bool(*b))),
            (_, Value::String(text)) => self.value_from_text(text),
            (kind, _) => Err(format!("a {} value", kind.as_str())),
        }
    }

    /// The column of a Shopify product CSV that carries it (a metafield's).
    pub fn csv_column(&self) -> String {
        format!("{} (product.metafields.custom.{})", self.label, self.key)
    }
}

/// A kept value as a form field or a CSV cell shows it.
pub fn text_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::Bool(true)) => "yes".to_owned(),
        Some(Value::Bool(false)) => "no".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The attribute key of a Shopify metafield column:
/// `Label (product.metafields.<namespace>.<key>)`.
pub fn csv_column_key(header: &str) -> Option<String> {
    let inner = header.trim().strip_suffix(')')?.rsplit_once('(')?.1;
    let (_, key) = inner.strip_prefix("product.metafields.")?.split_once('.')?;
    Some(key.to_ascii_lowercase())
}

/// A number as JSON keeps it: integers stay integers.
fn number(typed: &str) -> Option<Value> {
    if let Ok(i) = typed.parse::<i64>() {
        return Some(Value::from(i));
    }
    let f = typed.parse::<f64>().ok().filter(|f| f.is_finite())?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// A product's values, checked against the store's `attributes`: `typed` by key, as a
/// form or CSV gives them (an empty value removes it). Errors are by `attr.<key>`;
/// an unknown key is an error too.
pub fn values_from_text(
    attributes: &[Attribute],
    typed: &BTreeMap<String, String>,
) -> Result<serde_json::Map<String, Value>, FieldErrors> {
    values_with(attributes, typed, |a, v| a.value_from_text(v))
}

/// As [`values_from_text`], for a JSON client's `{key: value}`.
pub fn values_from_json(
    attributes: &[Attribute],
    given: &serde_json::Map<String, Value>,
) -> Result<serde_json::Map<String, Value>, FieldErrors> {
    let typed: BTreeMap<String, &Value> = given.iter().map(|(k, v)| (k.clone(), v)).collect();
    values_with(attributes, &typed, |a, v| a.value_from_json(v))
}

fn values_with<V>(
    attributes: &[Attribute],
    typed: &BTreeMap<String, V>,
    read: impl Fn(&Attribute, &V) -> Result<Option<Value>, String>,
) -> Result<serde_json::Map<String, Value>, FieldErrors> {
    let mut errors = Vec::new();
    let mut values = serde_json::Map::new();
    for (key, value) in typed {
        let Some(attribute) = attributes.iter().find(|a| &a.key == key) else {
            errors.push((
                "attributes",
                format!("The store has no attribute {key}; define it first."),
            ));
            continue;
        };
        match read(attribute, value) {
            Ok(Some(v)) => {
                values.insert(key.clone(), v);
            }
            Ok(None) => {}
            Err(reason) => errors.push(("attributes", format!("{}: {reason}", attribute.label))),
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(FieldErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(kind: AttributeKind, choices: &[&str]) -> Attribute {
        Attribute {
            id: AttributeId::generate(),
            key: "material".into(),
            label: "Material".into(),
            kind,
            choices: choices.iter().map(|c| (*c).to_owned()).collect(),
            filterable: false,
            products: 0,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn a_key_is_made_from_the_label_and_checked() {
        assert_eq!(key_from("Fabric weight (g/m²)"), "fabric_weight_g_m");
        assert_eq!(key_from("100% organic"), "a100_organic");
        let input = AttributeInput {
            label: "GLP-1 stage".into(),
            kind: "choice".into(),
            choices: "start\nsteady, maintenance\nStart".into(),
            filterable: "yes".into(),
            ..AttributeInput::default()
        };
        let fields = input.check().unwrap();
        assert_eq!(fields.key, "glp_1_stage");
        assert_eq!(fields.choices, ["start", "steady", "maintenance"]);
        assert!(fields.filterable);
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let input = AttributeInput {
            label: String::new(),
            key: "Bad Key".into(),
            kind: "colour".into(),
            ..AttributeInput::default()
        };
        let errors = input.check().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["label", "kind"]);
        let text_filter = AttributeInput {
            label: "Care".into(),
            kind: "text".into(),
            filterable: "yes".into(),
            ..AttributeInput::default()
        };
        assert_eq!(
            text_filter.check().unwrap_err().0[0].0,
            "filterable",
            "free text is not a filter"
        );
        let no_choices = AttributeInput {
            label: "Fit".into(),
            kind: "choice".into(),
            choices: " , ".into(),
            ..AttributeInput::default()
        };
        assert_eq!(no_choices.check().unwrap_err().0[0].0, "choices");
    }

    #[test]
    fn values_follow_the_kind() {
        let choice = attribute(AttributeKind::Choice, &["Linen", "Wool"]);
        assert_eq!(
            choice.value_from_text("linen").unwrap(),
            Some(Value::String("Linen".into()))
        );
        assert!(choice
            .value_from_text("silk")
            .unwrap_err()
            .contains("Linen, Wool"));
        assert_eq!(choice.value_from_text("  ").unwrap(), None);
        let number = attribute(AttributeKind::Number, &[]);
        assert_eq!(
            number.value_from_text("250").unwrap(),
            Some(Value::from(250))
        );
        assert_eq!(
            number.value_from_text("1.5").unwrap(),
            Some(Value::from(1.5))
        );
        assert!(number.value_from_text("NaN").is_err());
        assert!(number.value_from_json(&Value::Bool(true)).is_err());
        let boolean = attribute(AttributeKind::Boolean, &[]);
        assert_eq!(
            boolean.value_from_text("Yes").unwrap(),
            Some(Value::Bool(true))
        );
        assert_eq!(text_of(Some(&Value::Bool(false))), "no");
        assert_eq!(
            csv_column_key("Material (product.metafields.custom.material)").as_deref(),
            Some("material")
        );
        assert_eq!(
            choice.csv_column(),
            "Material (product.metafields.custom.material)"
        );
        assert_eq!(csv_column_key("Variant Price"), None);
        let mut typed = BTreeMap::new();
        typed.insert("material".to_owned(), "wool".to_owned());
        typed.insert("origin".to_owned(), "Portugal".to_owned());
        let errors = values_from_text(&[choice], &typed).unwrap_err();
        assert!(errors.0[0].1.contains("no attribute origin"));
    }
}
