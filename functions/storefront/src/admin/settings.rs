//! A store's settings pages: the store (name, default region, hostnames), its regions,
//! one region with its shipping options, and one stock location with its address. A
//! refused form comes back as typed, each problem beside its field.

use askama::Template;
use commerce::cart::ShippingKind;
use commerce::inventory::location::{AddressInput, Location};
use commerce::money::Money;
use commerce::region::Region;
use commerce::settings::json::country_codes;
use commerce::settings::region::{percent_text, RegionInput};
use commerce::settings::repo::AdminShippingOption;
use commerce::settings::shipping::ShippingInput;
use commerce::settings::{FieldErrors, SettingsInput, StoreSettings};
use commerce::staff::{Member, Permission};
use commerce::ApiError;

use super::{Frame, Shell};
use crate::format::{major_input, money};
use crate::pages::{html, Rendered};

/// What the settings page re-shows: the store's form as typed with its problems, a
/// hostname as typed with its problem, or one message.
#[derive(Debug, Clone, Default)]
pub struct SettingsNotice {
    pub form: Option<SettingsInput>,
    pub errors: FieldErrors,
    pub new_host: String,
    pub new_host_error: Option<String>,
    pub message: Option<String>,
    /// The synonyms' text as typed, when refused.
    pub synonyms: Option<String>,
    pub synonyms_error: Option<String>,
}

/// What the settings page shows of the store as kept.
pub struct SettingsKept<'a> {
    pub settings: &'a StoreSettings,
    pub regions: &'a [Region],
    /// Search synonym groups as written.
    pub synonyms: &'a [Vec<String>],
}

struct RegionChoice {
    id: String,
    label: String,
    selected: bool,
}

struct HostLine {
    n: usize,
    name: String,
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage<'a> {
    frame: Frame<'a>,
    write: bool,
    saved: Option<&'a str>,
    message: Option<String>,
    form: SettingsInput,
    errors: FieldErrors,
    regions: Vec<RegionChoice>,
    default_region: String,
    hosts: Vec<HostLine>,
    new_host: String,
    new_host_error: Option<String>,
    synonyms: String,
    synonym_groups: usize,
    synonyms_error: Option<String>,
}

/// The store's name and default region, its hostnames, its search synonyms, and the
/// forms that change them.
pub fn settings_page(
    shell: &Shell,
    member: &Member,
    kept: SettingsKept<'_>,
    notice: SettingsNotice,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let SettingsKept {
        settings,
        regions,
        synonyms,
    } = kept;
    let form = notice.form.unwrap_or_else(|| SettingsInput {
        name: settings.name.clone(),
        default_region_id: settings
            .default_region
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
    });
    let default_region = regions
        .iter()
        .find(|r| Some(&r.id) == settings.default_region.as_ref())
        .map(|r| r.name.clone())
        .unwrap_or_else(|| "None (the first region in the store's currency)".to_owned());
    html(
        status,
        &SettingsPage {
            frame: Frame::new("Store settings", Some(shell)),
            write: member.may(Permission::SettingsWrite),
            saved,
            message: notice.message,
            regions: regions
                .iter()
                .map(|r| RegionChoice {
                    id: r.id.as_str().to_owned(),
                    label: format!("{} ({})", r.name, r.currency.as_str().to_uppercase()),
                    selected: r.id.as_str() == form.default_region_id.trim(),
                })
                .collect(),
            form,
            errors: notice.errors,
            default_region,
            hosts: settings
                .hosts
                .iter()
                .enumerate()
                .map(|(n, h)| HostLine { n, name: h.clone() })
                .collect(),
            new_host: notice.new_host,
            new_host_error: notice.new_host_error,
            synonyms: notice.synonyms.unwrap_or_else(|| {
                synonyms
                    .iter()
                    .map(|g| g.join(", "))
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
            synonym_groups: synonyms.len(),
            synonyms_error: notice.synonyms_error,
        },
    )
}

/// What a region form re-shows.
#[derive(Debug, Clone, Default)]
pub struct RegionNotice {
    pub form: RegionInput,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

struct RegionLine {
    href: String,
    name: String,
    currency: String,
    tax_rate: String,
    tax_inclusive: bool,
    countries: String,
}

#[derive(Template)]
#[template(path = "admin/regions.html")]
struct RegionsPage<'a> {
    frame: Frame<'a>,
    write: bool,
    saved: Option<&'a str>,
    regions: Vec<RegionLine>,
    form: RegionInput,
    errors: FieldErrors,
    message: Option<String>,
}

/// The store's regions and the form that adds one.
pub fn regions_page(
    shell: &Shell,
    member: &Member,
    regions: &[Region],
    notice: Option<RegionNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let notice = notice.unwrap_or_else(|| RegionNotice {
        form: RegionInput {
            tax_rate: "0".into(),
            ..RegionInput::default()
        },
        ..RegionNotice::default()
    });
    html(
        status,
        &RegionsPage {
            frame: Frame::new("Regions", Some(shell)),
            write: member.may(Permission::SettingsWrite),
            saved,
            regions: regions
                .iter()
                .map(|r| RegionLine {
                    href: format!("/admin/regions/{}", r.id.as_str()),
                    name: r.name.clone(),
                    currency: r.currency.as_str().to_uppercase(),
                    tax_rate: percent_text(r.tax_rate),
                    tax_inclusive: r.tax_inclusive,
                    countries: r
                        .countries
                        .iter()
                        .map(|c| c.display_name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            form: notice.form,
            errors: notice.errors,
            message: notice.message,
        },
    )
}

/// What a shipping option form re-shows: the option's (none: the new option's form).
#[derive(Debug, Clone, Default)]
pub struct ShippingNotice {
    pub option_id: Option<String>,
    pub form: ShippingInput,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

struct OptionLine {
    id: String,
    prefix: String,
    name: String,
    summary: String,
    form: ShippingInput,
    errors: FieldErrors,
    first: bool,
    last: bool,
}

#[derive(Template)]
#[template(path = "admin/region.html")]
struct RegionPage<'a> {
    frame: Frame<'a>,
    id: &'a str,
    heading: &'a str,
    currency: String,
    write: bool,
    saved: Option<&'a str>,
    form: RegionInput,
    errors: FieldErrors,
    message: Option<String>,
    options: Vec<OptionLine>,
    shipping_message: Option<String>,
    new_option: ShippingInput,
    new_errors: FieldErrors,
}

/// The form of an option as stored, amounts in major units of `region`'s currency.
pub fn shipping_form(option: &AdminShippingOption, region: &Region) -> ShippingInput {
    let major = |minor: i64| major_input(minor, region.currency);
    match option.kind {
        ShippingKind::Flat { amount } => ShippingInput {
            name: option.name.clone(),
            kind: "flat".into(),
            amount: major(amount),
            threshold: String::new(),
        },
        ShippingKind::FreeOver { amount, threshold } => ShippingInput {
            name: option.name.clone(),
            kind: "free_over".into(),
            amount: major(amount),
            threshold: major(threshold),
        },
    }
}

/// What a region's page re-shows: its own form's refusal, or a shipping option's.
#[derive(Debug, Clone, Default)]
pub struct RegionNotices {
    pub region: Option<RegionNotice>,
    pub shipping: Option<ShippingNotice>,
}

/// A region's form, its shipping options each with the forms that change, order and
/// remove it, and the form that adds one.
pub fn region_page(
    shell: &Shell,
    member: &Member,
    region: &Region,
    options: &[AdminShippingOption],
    notices: RegionNotices,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let RegionNotices {
        region: notice,
        shipping,
    } = notices;
    let notice = notice.unwrap_or_else(|| RegionNotice {
        form: RegionInput {
            name: region.name.clone(),
            currency_code: String::new(),
            tax_rate: percent_text(region.tax_rate),
            tax_inclusive: if region.tax_inclusive { "yes" } else { "" }.to_owned(),
            countries: country_codes(&region.countries),
        },
        ..RegionNotice::default()
    });
    let shipping = shipping.unwrap_or_else(|| ShippingNotice {
        form: ShippingInput {
            kind: "flat".into(),
            ..ShippingInput::default()
        },
        ..ShippingNotice::default()
    });
    let price = |minor: i64| money(Money::new(minor, region.currency));
    let last = options.len().saturating_sub(1);
    let lines = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let refused = shipping.option_id.as_deref() == Some(o.id.as_str());
            OptionLine {
                id: o.id.as_str().to_owned(),
                prefix: format!("so-{}-", o.id.as_str()),
                name: o.name.clone(),
                summary: match o.kind {
                    ShippingKind::Flat { amount } => price(amount),
                    ShippingKind::FreeOver { amount, threshold } => {
                        format!("{}, free from {}", price(amount), price(threshold))
                    }
                },
                form: if refused {
                    shipping.form.clone()
                } else {
                    shipping_form(o, region)
                },
                errors: if refused {
                    shipping.errors.clone()
                } else {
                    FieldErrors::default()
                },
                first: i == 0,
                last: i == last,
            }
        })
        .collect();
    let new_refused = shipping.option_id.is_none();
    html(
        status,
        &RegionPage {
            frame: Frame::new(region.name.clone(), Some(shell)),
            id: region.id.as_str(),
            heading: &region.name,
            currency: region.currency.as_str().to_uppercase(),
            write: member.may(Permission::SettingsWrite),
            saved,
            form: notice.form,
            errors: notice.errors,
            message: notice.message,
            options: lines,
            shipping_message: shipping.message,
            new_option: if new_refused {
                shipping.form
            } else {
                ShippingInput {
                    kind: "flat".into(),
                    ..ShippingInput::default()
                }
            },
            new_errors: if new_refused {
                shipping.errors
            } else {
                FieldErrors::default()
            },
        },
    )
}

/// What a stock location's form re-shows.
#[derive(Debug, Clone, Default)]
pub struct LocationFormNotice {
    pub name: String,
    pub address: AddressInput,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/stock_location.html")]
struct LocationPage<'a> {
    frame: Frame<'a>,
    id: &'a str,
    heading: &'a str,
    stocked: i64,
    write: bool,
    saved: Option<&'a str>,
    typed_name: String,
    address: AddressInput,
    errors: FieldErrors,
    message: Option<String>,
    place: String,
}

/// A location's address on one line (or that it has none).
pub fn place_of(location: &Location) -> String {
    match &location.address {
        None => "No address yet.".to_owned(),
        Some(a) => [
            a.address_1.as_str(),
            a.address_2.as_str(),
            &format!("{} {}", a.postal_code, a.city),
            a.province.as_str(),
            &a.country_code.to_uppercase(),
        ]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", "),
    }
}

/// A stock location's name and address, and the form that changes them.
pub fn location_page(
    shell: &Shell,
    member: &Member,
    location: &Location,
    notice: Option<LocationFormNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let notice = notice.unwrap_or_else(|| LocationFormNotice {
        name: location.name.clone(),
        address: location
            .address
            .as_ref()
            .map(AddressInput::from)
            .unwrap_or_default(),
        ..LocationFormNotice::default()
    });
    html(
        status,
        &LocationPage {
            frame: Frame::new(location.name.clone(), Some(shell)),
            id: location.id.as_str(),
            heading: &location.name,
            stocked: location.stocked,
            write: member.may(Permission::InventoryWrite),
            saved,
            typed_name: notice.name,
            address: notice.address,
            errors: notice.errors,
            message: notice.message,
            place: place_of(location),
        },
    )
}
