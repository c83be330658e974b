//! The checkout, order and order lookup pages rendered natively against a real
//! PostgreSQL (the two-store fixture of the commerce tests): each checkout step, the
//! refusals, the bank confirmation, escaping, and orders as the origin answers them.

#[path = "../../commerce/tests/common/mod.rs"]
mod common;

use commerce::cart::{choose_shipping, Address, Cart, CartRegion, LineItem, ShippingOption};
use commerce::email::Email;
use commerce::ids::{
    CartId, LineItemId, OrderId, OrderItemId, OrderTransactionId, ProductId, RegionId,
    ShippingOptionId, StoreId, VariantId,
};
use commerce::money::MinorUnits;
use commerce::order::{
    Order, OrderItem, OrderShipping, OrderStatus, OrderTransaction, TransactionKind,
};
use commerce::region::Region;
use commerce::store::HostName;
use common::test_db;
use storefront::checkout::{
    checkout_page, order_lookup_page, order_page, CheckoutStep, CheckoutView, FieldError,
    LookupForm,
};
use storefront::{PageRequest, Rendered, Site};

/// 1 May 2024, 12:30 UTC.
const T0: u64 = 1_714_566_600_000;

async fn site(db: &tokio_postgres::Client) -> Site {
    Site::load(db, &HostName::parse("alpha.test").unwrap())
        .await
        .unwrap()
}

fn region<'a>(site: &'a Site, id: &str) -> &'a Region {
    site.regions.iter().find(|r| r.id.as_str() == id).unwrap()
}

fn request<'a>(site: &'a Site, region: &'a Region, path: &'a str) -> PageRequest<'a> {
    PageRequest {
        site,
        region,
        origin: "https://alpha.test",
        path,
        query: &[],
    }
}

fn line(id: &str, product: &str, variant: &str, unit_price: i64, quantity: u32) -> LineItem {
    LineItem {
        id: LineItemId::parse(&format!("cali_{id}")).unwrap(),
        variant_id: VariantId::parse(&format!("variant_{id}")).unwrap(),
        product_id: ProductId::parse("prod_A1").unwrap(),
        product_title: product.into(),
        product_handle: "linen-shirt".into(),
        variant_title: variant.into(),
        sku: None,
        thumbnail: Some("products/a1-front.png".into()),
        quantity,
        unit_price: MinorUnits::new(unit_price),
        created_at_ms: T0,
        updated_at_ms: T0,
    }
}

fn address() -> Address {
    Address {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        address_1: Some("1 Rue de Rivoli".into()),
        city: Some("Paris".into()),
        postal_code: Some("75001".into()),
        country_code: Some("fr".into()),
        phone: Some("+33 1 23".into()),
        ..Address::default()
    }
}

/// Alpha's Europe cart: 2 × Linen Shirt (M) at €24.50 and 1 × Canvas Bag at €15.00.
fn cart(region: &Region) -> Cart {
    let mut cart = Cart::new(
        CartId::parse("cart_CHECKOUT").unwrap(),
        StoreId::parse("store_ALPHA").unwrap(),
        CartRegion::from(region),
        T0,
    );
    cart.items.push(line("A1M", "Linen Shirt", "M", 2450, 2));
    cart.items
        .push(line("BAG", "Canvas Bag", "Canvas Bag", 1500, 1));
    cart
}

/// The same cart with an e-mail and a shipping address.
fn addressed(region: &Region) -> Cart {
    let mut c = cart(region);
    c.email = Some(Email::parse("ada@example.com").unwrap());
    c.shipping_address = Some(address());
    c
}

/// Every shipping option of Alpha (both regions), as the database has them.
async fn options(db: &tokio_postgres::Client, site: &Site) -> Vec<ShippingOption> {
    let mut all = Vec::new();
    for r in &site.regions {
        all.extend(
            commerce::shipping_option::for_region(db, &site.store.id, &r.id)
                .await
                .unwrap(),
        );
    }
    assert!(all.len() >= 4, "the fixture's options: {all:?}");
    all
}

/// What every page must be, whatever it shows: one h1, headings that do not skip a
/// level, every control labelled, no script or inline style (the CSP forbids both),
/// kept out of search engines.
fn check_page(page: &Rendered) {
    let body = &page.body;
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    assert!(
        body.contains(r#"<meta name="robots" content="noindex, nofollow">"#),
        "not indexed"
    );
    assert!(!body.contains("<script"), "no script");
    assert!(!body.contains(" style="), "no inline style");
    assert_eq!(body.matches("<h1").count(), 1, "one h1");
    let mut last = 1;
    for (i, _) in body.match_indices("<h") {
        let Some(level) = body[i + 2..].chars().next().and_then(|c| c.to_digit(10)) else {
            continue;
        };
        assert!(level <= last + 1, "h{level} after h{last}");
        last = level;
    }
    for tag in ["<input ", "<select "] {
        for (i, _) in body.match_indices(tag) {
            let element = &body[i..i + body[i..].find('>').unwrap()];
            if element.contains(r#"type="hidden""#) {
                continue;
            }
            if element.contains(r#"type="radio""#) {
                let before = &body[..i];
                let open = before.rfind("<label").unwrap_or(0);
                assert!(
                    before.rfind("</label>").is_none_or(|close| close < open) && open > 0,
                    "radio outside a label: {element}"
                );
                continue;
            }
            let id = element
                .split(r#"id=""#)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("no id: {element}"));
            assert!(
                body.contains(&format!(r#" for="{id}""#)),
                "no label for {id}"
            );
        }
    }
}

#[tokio::test]
async fn the_contact_step_is_filled_from_the_cart() {
    let db = test_db().await;
    let site = site(&db).await;
    let eu = region(&site, "reg_AEU");
    let mut c = cart(eu);
    c.email = Some(Email::parse("ada@example.com").unwrap());
    c.shipping_address = Some(address());
    let view = CheckoutView::new(c, options(&db, &site).await, CheckoutStep::Contact);
    let page = checkout_page(&db, &request(&site, eu, "/checkout"), view, 200)
        .await
        .unwrap();
    check_page(&page);
    let body = &page.body;
    assert_eq!(page.status, 200);
    assert!(body.contains("<title>Checkout — Alpha</title>"));
    assert!(body.contains(r#"<form class="step-form" method="post" action="/checkout/contact">"#));
    for (name, value) in [
        ("email", "ada@example.com"),
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("address_1", "1 Rue de Rivoli"),
        ("address_2", ""),
        ("city", "Paris"),
        ("postal_code", "75001"),
        ("province", ""),
        ("phone", "+33 1 23"),
    ] {
        assert!(
            body.contains(&format!(r#"name="{name}" type="#))
                && body.contains(&format!(r#"id="{name}" name="{name}""#)),
            "{name} is a field"
        );
        let tag = &body[body.find(&format!(r#"id="{name}" name="{name}""#)).unwrap()..];
        let tag = &tag[..tag.find('>').unwrap()];
        assert!(
            tag.contains(&format!(r#"value="{value}""#)),
            "{name}: {tag}"
        );
    }
    assert!(body.contains(r#"autocomplete="address-line1""#));
    // The region's countries, the cart's chosen.
    assert!(body.contains(
        r#"<select id="country_code" name="country_code" autocomplete="country" required>"#
    ));
    assert!(body.contains(
        "<option value=\"\">Choose a country</option>\n<option value=\"fr\" selected>France</option>\n<option value=\"de\">Germany</option>"
    ), "by name");
    assert!(!body.contains(r#"value="us""#), "another region's country");
    // The later steps are headings only.
    assert!(body.contains("Delivery</h2>"));
    assert!(body.contains("Payment &amp; review</h2>"));
    assert!(!body.contains(r#"action="/checkout/shipping""#));
    assert!(!body.contains(r#"action="/checkout/pay""#));
    assert!(
        !body.contains("?step=contact"),
        "the open step has no Change link"
    );
    // The summary: lines with thumbnails, quantities and line totals; €64.00.
    assert!(body.contains(r#"<img src="/images/products/a1-front.png" alt="""#));
    assert!(body.contains("Linen Shirt<br><span class=\"muted\">M</span>"));
    assert!(body.contains("Quantity: 2"));
    assert!(body.contains("€49.00"));
    assert!(body.contains("Canvas Bag<br><span class=\"muted\">Quantity: 1</span>"));
    assert!(body.contains("<dt>Shipping</dt><dd>Chosen in step 2</dd>"));
    assert!(body.contains("<dt>Included tax (20%)</dt><dd>€10.67</dd>"));
    assert!(body.contains(r#"<dt>Total</dt><dd class="grand">€64.00</dd>"#));
    assert!(!body.contains("role=\"alert\""), "nothing refused");
}

#[tokio::test]
async fn the_delivery_step_offers_the_regions_options_with_their_price() {
    let db = test_db().await;
    let site = site(&db).await;
    let eu = region(&site, "reg_AEU");
    let options = options(&db, &site).await;
    let view = CheckoutView::new(addressed(eu), options.clone(), CheckoutStep::Delivery);
    let page = checkout_page(&db, &request(&site, eu, "/checkout"), view, 200)
        .await
        .unwrap();
    check_page(&page);
    let body = &page.body;
    assert!(body.contains(r#"action="/checkout/shipping""#));
    assert!(
        !body.contains(r#"action="/checkout/contact""#),
        "contact is done"
    );
    for (id, name, price) in [
        ("so_AEUSTD", "Standard", "€4.95"),
        ("so_AEUFREE", "Free shipping over €75", "€4.95"),
        ("so_AEUEXP", "Express", "€12.95"),
    ] {
        assert!(
            body.contains(&format!(
                r#"<input type="radio" name="option_id" value="{id}" required> <span class="option-name">{name}</span> <span class="option-price">{price}</span>"#
            )),
            "{id}"
        );
    }
    assert!(!body.contains("so_AUSSTD"), "another region's option");
    assert!(!body.contains("$5.95"));
    // Contact is summarised with a way back.
    assert!(body.contains(
        "ada@example.com<br>Ada Lovelace<br>1 Rue de Rivoli<br>75001 Paris<br>France<br>+33 1 23"
    ));
    assert!(body.contains(r#"<a href="/checkout?step=contact">Change"#));
    assert!(!body.contains(r#"action="/checkout/pay""#));

    // Over €75 the free option is free; a chosen option is checked.
    let mut big = addressed(eu);
    big.items[0].quantity = 4;
    let mut view = CheckoutView::new(big, options, CheckoutStep::Delivery);
    view.form.option_id = "so_AEUEXP".into();
    let body = checkout_page(&db, &request(&site, eu, "/checkout"), view, 200)
        .await
        .unwrap()
        .body;
    assert!(body.contains(
        r#"value="so_AEUFREE" required> <span class="option-name">Free shipping over €75</span> <span class="option-price">Free</span>"#
    ));
    assert!(body.contains(r#"value="so_AEUEXP" required checked>"#));
    assert!(body.contains(r#"value="so_AEUSTD" required>"#));
}

#[tokio::test]
async fn the_payment_step_reviews_the_order_and_lists_the_test_cards() {
    let db = test_db().await;
    let site = site(&db).await;
    let eu = region(&site, "reg_AEU");
    let options = options(&db, &site).await;
    let mut c = addressed(eu);
    let standard = ShippingOptionId::parse("so_AEUSTD").unwrap();
    choose_shipping(&mut c, &options, &standard, T0).unwrap();
    let view = CheckoutView::new(c, options, CheckoutStep::Payment);
    let page = checkout_page(&db, &request(&site, eu, "/checkout"), view, 200)
        .await
        .unwrap();
    check_page(&page);
    let body = &page.body;
    assert!(body.contains(r#"<form class="step-form" method="post" action="/checkout/pay">"#));
    assert!(body.contains(
        r#"<input id="card_number" name="card_number" type="text" value="" maxlength="23" autocomplete="cc-number" inputmode="numeric" required aria-describedby="test-cards">"#
    ));
    assert!(body.contains(r#"id="card_holder" name="card_holder""#));
    assert!(body.contains(r#"autocomplete="cc-name""#));
    assert!(body.contains("4242 4242 4242 4242</span> succeeds"));
    assert!(body.contains("4000 0000 0000 0002</span> is declined"));
    assert!(body.contains("4000 0025 0000 3155</span> asks for confirmation"));
    // €64.00 of items and €4.95 of shipping.
    assert!(body.contains(r#"<button type="submit" class="pay">Place order — €68.95</button>"#));
    assert!(body.contains("<dt>You will be charged</dt><dd><strong>€68.95</strong>"));
    assert!(body.contains("<dt>Confirmation to</dt><dd>ada@example.com</dd>"));
    assert!(body.contains(
        "<dt>Shipping to</dt><dd>Ada Lovelace, 1 Rue de Rivoli, 75001 Paris, France</dd>"
    ));
    assert!(body.contains("<dt>Delivery</dt><dd>Standard: €4.95</dd>"));
    assert!(body.contains("<dt>Shipping</dt><dd>€4.95</dd>"));
    assert!(body.contains(r#"<dt>Total</dt><dd class="grand">€68.95</dd>"#));
    // Both earlier steps are summarised with their Change links.
    assert!(body.contains(r#"href="/checkout?step=contact""#));
    assert!(body.contains(r#"href="/checkout?step=delivery""#));
    assert!(!body.contains(r#"action="/checkout/shipping""#));
    assert!(!body.contains("Confirm this payment"));
}

#[tokio::test]
async fn refusals_are_shown_next_to_their_fields_and_at_the_top() {
    let db = test_db().await;
    let site = site(&db).await;
    let eu = region(&site, "reg_AEU");
    let mut view = CheckoutView::new(addressed(eu), Vec::new(), CheckoutStep::Contact);
    view.form.email = "ada@".into();
    view.errors = vec![
        FieldError::new("email", "must be an e-mail address like name@example.com"),
        FieldError::new(
            "shipping_address.postal_code",
            "at most 20 characters are accepted",
        ),
        FieldError::new("items[0].quantity", "only 1 of Linen Shirt (M) available"),
    ];
    view.error = Some("Payment could not be reached. Your cart is saved; please try again.".into());
    view.notices = vec!["Linen Shirt (M) changed price from €22.00 to €24.50.".into()];
    let page = checkout_page(&db, &request(&site, eu, "/checkout"), view, 422)
        .await
        .unwrap();
    check_page(&page);
    let body = &page.body;
    assert_eq!(page.status, 422);
    let alert = &body[body
        .find(r#"<div class="notice error" role="alert">"#)
        .unwrap()..];
    let alert = &alert[..alert.find("</div>").unwrap()];
    assert!(alert
        .contains("<p>Payment could not be reached. Your cart is saved; please try again.</p>"));
    assert!(alert.contains(
        r##"<a href="#email">E-mail address: Must be an e-mail address like name@example.com</a>"##
    ));
    assert!(alert.contains(
        r##"<a href="#postal_code">Postal code: At most 20 characters are accepted</a>"##
    ));
    assert!(
        alert.contains("<li>Only 1 of Linen Shirt (M) available</li>"),
        "a field the page does not show is listed without a link: {alert}"
    );
    // In place: the message, the field marked and described by it, the value kept.
    assert!(body.contains(
        r#"<input id="email" name="email" type="email" value="ada@" maxlength="254" autocomplete="email" required aria-invalid="true" aria-describedby="email-error">"#
    ));
    assert!(body.contains(
        r#"<p class="field-error" id="email-error">Must be an e-mail address like name@example.com</p>"#
    ));
    assert!(body.contains(r#"id="postal_code-error">At most 20 characters are accepted</p>"#));
    assert!(!body.contains(r#"id="city-error""#));
    assert!(body.contains(
        "<div class=\"notice\" role=\"status\">\n<ul>\n<li>Linen Shirt (M) changed price"
    ));
    assert!(body.contains("changed price from €22.00 to €24.50"));
    // The cart is still there.
    assert!(body.contains("Linen Shirt"));
    assert!(body.contains(r#"<dt>Total</dt><dd class="grand">€64.00</dd>"#));

    // A declined card on the payment step: the message at the top, the form again.
    let options = options(&db, &site).await;
    let mut c = addressed(eu);
    choose_shipping(
        &mut c,
        &options,
        &ShippingOptionId::parse("so_AEUSTD").unwrap(),
        T0,
    )
    .unwrap();
    let mut view = CheckoutView::new(c, options, CheckoutStep::Payment);
    view.error = Some("Your card was declined. No money was taken.".into());
    view.errors = vec![FieldError::new("card_holder", "enter the name on the card")];
    let page = checkout_page(&db, &request(&site, eu, "/checkout"), view, 402)
        .await
        .unwrap();
    check_page(&page);
    assert_eq!(page.status, 402);
    assert!(page
        .body
        .contains("role=\"alert\">\n<p>Your card was declined. No money was taken.</p>"));
    assert!(page
        .body
        .contains(r##"<a href="#card_holder">Name on card: Enter the name on the card</a>"##));
    assert!(page.body.contains(r#"action="/checkout/pay""#));
    assert!(page.body.contains("Place order — €68.95"));
}

#[tokio::test]
async fn a_payment_waiting_for_the_bank_asks_to_approve_or_decline() {
    let db = test_db().await;
    let site = site(&db).await;
    let eu = region(&site, "reg_AEU");
    let options = options(&db, &site).await;
    let mut c = addressed(eu);
    choose_shipping(
        &mut c,
        &options,
        &ShippingOptionId::parse("so_AEUEXP").unwrap(),
        T0,
    )
    .unwrap();
    let mut view = CheckoutView::new(c, options, CheckoutStep::Delivery);
    view.authenticate = Some("payses_01TEST".into());
    let page = checkout_page(&db, &request(&site, eu, "/checkout"), view, 200)
        .await
        .unwrap();
    check_page(&page);
    let body = &page.body;
    assert!(body.contains("<h3>Confirm this payment with your bank</h3>"));
    assert!(body.contains("the payment of <strong>€76.95</strong> to Alpha"));
    assert!(body
        .contains(r#"<form class="bank-actions" method="post" action="/checkout/authenticate">"#));
    assert!(body.contains(r#"<input type="hidden" name="session" value="payses_01TEST">"#));
    assert!(body.contains(r#"<button type="submit" name="approve" value="true">Approve</button>"#));
    assert!(body.contains(
        r#"<button type="submit" name="approve" value="false" class="secondary">Decline</button>"#
    ));
    assert!(
        !body.contains(r#"action="/checkout/pay""#),
        "no second payment"
    );
    assert!(!body.contains(r#"action="/checkout/shipping""#));
}

#[tokio::test]
async fn hostile_input_echoed_into_the_forms_is_escaped() {
    let db = test_db().await;
    let site = site(&db).await;
    let eu = region(&site, "reg_AEU");
    let mut c = cart(eu);
    c.items[0].product_title = "<img src=x onerror=alert(1)>".into();
    let mut view = CheckoutView::new(c, Vec::new(), CheckoutStep::Contact);
    view.form.email = r#""><script>alert(1)</script>"#.into();
    view.form.city = "'><b>x</b>".into();
    view.form.country_code = r#"fr"><b>"#.into();
    view.errors = vec![FieldError::new("email", "<i>not</i> an e-mail")];
    view.error = Some("<u>declined</u>".into());
    view.notices = vec!["<s>notice</s>".into()];
    let page = checkout_page(&db, &request(&site, eu, "/checkout"), view, 422)
        .await
        .unwrap();
    check_page(&page);
    let body = &page.body;
    assert!(!body.contains("<script>"));
    assert!(!body.contains(r#""><script"#));
    assert!(body.contains(r#"value="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;""#));
    assert!(body.contains(r#"value="&#39;&#62;&#60;b&#62;x&#60;/b&#62;""#));
    assert!(!body.contains("<img src=x"));
    assert!(body.contains("&#60;img src=x onerror=alert(1)&#62;"));
    for tag in ["<i>", "<u>", "<s>", "<b>"] {
        assert!(!body.contains(tag), "{tag}");
    }
    assert!(
        !body.contains(" selected>France"),
        "no such country is chosen"
    );

    // A session id is echoed in an attribute too.
    let mut view = CheckoutView::new(addressed(eu), Vec::new(), CheckoutStep::Payment);
    view.authenticate = Some(r#"x"><b>y"#.into());
    let body = checkout_page(&db, &request(&site, eu, "/checkout"), view, 200)
        .await
        .unwrap()
        .body;
    assert!(body.contains(r#"name="session" value="x&#34;&#62;&#60;b&#62;y""#));
    assert!(!body.contains("<b>"));
}

fn item(id: &str, title: &str, variant: &str, unit_price: i64, quantity: u32) -> OrderItem {
    let amount = unit_price * i64::from(quantity);
    OrderItem {
        id: OrderItemId::parse(&format!("ordli_{id}")).unwrap(),
        variant_id: VariantId::parse(&format!("variant_{id}")).unwrap(),
        product_id: ProductId::parse("prod_A1").unwrap(),
        product_title: title.into(),
        product_handle: "linen-shirt".into(),
        variant_title: variant.into(),
        sku: None,
        thumbnail: Some("products/a1-front.png".into()),
        quantity,
        unit_price: MinorUnits::new(unit_price),
        subtotal: MinorUnits::new(amount * 5 / 6),
        tax_total: MinorUnits::new(amount - amount * 5 / 6),
        total: MinorUnits::new(amount),
    }
}

fn transaction(id: &str, kind: TransactionKind, amount: i64) -> OrderTransaction {
    OrderTransaction {
        id: OrderTransactionId::parse(&format!("ordtx_{id}")).unwrap(),
        kind,
        amount: MinorUnits::new(amount),
        provider_id: "pp_test".into(),
        reference: format!("ref_{id}"),
        created_at_ms: T0,
    }
}

/// Order #1042 in Alpha's Europe: 2 × Linen Shirt (M) at €24.50, standard shipping
/// €4.95, 20 % included: €53.95, paid.
fn order(status: OrderStatus) -> Order {
    Order {
        id: OrderId::parse("order_01TEST").unwrap(),
        store_id: StoreId::parse("store_ALPHA").unwrap(),
        display_id: 1042,
        cart_id: CartId::parse("cart_CHECKOUT").unwrap(),
        status,
        email: Email::parse("ada@example.com").unwrap(),
        customer_id: None,
        region_id: RegionId::parse("reg_AEU").unwrap(),
        currency: commerce::money::CurrencyCode::parse("eur").unwrap(),
        tax_rate_bp: 2000,
        tax_inclusive: true,
        shipping_address: address(),
        billing_address: None,
        shipping: OrderShipping {
            option_id: ShippingOptionId::parse("so_AEUSTD").unwrap(),
            name: "Standard".into(),
            amount: MinorUnits::new(495),
        },
        items: vec![item("A1M", "Linen Shirt", "M", 2450, 2)],
        item_total: MinorUnits::new(4900),
        item_tax_total: MinorUnits::new(817),
        shipping_total: MinorUnits::new(495),
        shipping_tax_total: MinorUnits::new(83),
        tax_total: MinorUnits::new(900),
        total: MinorUnits::new(5395),
        transactions: vec![
            transaction("1", TransactionKind::Authorization, 5395),
            transaction("2", TransactionKind::Capture, 5395),
        ],
        failure_reason: None,
        shipment: None,
        fulfillments: Vec::new(),
        trace_id: None,
        created_at_ms: T0,
        updated_at_ms: T0,
    }
}

#[tokio::test]
async fn a_placed_order_is_confirmed_with_its_lines_totals_and_address() {
    let db = test_db().await;
    let site = site(&db).await;
    let eu = region(&site, "reg_AEU");
    let o = order(OrderStatus::Confirmed);
    let page = order_page(&db, &request(&site, eu, "/orders/order_01TEST"), &o, true)
        .await
        .unwrap();
    check_page(&page);
    let body = &page.body;
    assert_eq!(page.status, 200);
    assert!(body.contains("<title>Order #1042 — Alpha</title>"));
    assert!(body.contains("<h1>Thank you!</h1>"));
    assert!(body.contains("Order #1042 is confirmed. A confirmation was sent to ada@example.com."));
    assert!(body.contains(r#"<strong class="status good">Confirmed</strong>"#));
    assert!(body.contains(r#"<time datetime="2024-05-01">1 May 2024</time>"#));
    assert!(body.contains(r#"<li class="current" aria-current="step">Confirmed</li>"#));
    assert!(body.contains(r#"<li class="todo">Packed</li>"#));
    assert!(body.contains(r#"<li class="todo">Delivered</li>"#));
    // The line: unit price, quantity, line total.
    assert!(body.contains("<td>€24.50</td>\n<td>2</td>\n<td>€49.00</td>"));
    assert!(body.contains(r#"<a href="/products/linen-shirt?variant=variant_A1M">Linen Shirt</a>"#));
    assert!(body.contains("<dt>Items</dt><dd>€49.00</dd>"));
    assert!(body.contains("<dt>Shipping</dt><dd>€4.95</dd>"));
    assert!(body.contains("<dt>Included tax (20%)</dt><dd>€9.00</dd>"));
    assert!(body.contains(r#"<dt>Total</dt><dd class="grand">€53.95</dd>"#));
    assert!(body.contains("<dt>Paid</dt><dd>€53.95</dd>"));
    assert!(!body.contains("Refunded"));
    assert!(body.contains(
        "<address>Ada Lovelace<br>1 Rue de Rivoli<br>75001 Paris<br>France<br>+33 1 23</address>"
    ));
    assert!(body.contains("<p>Standard</p>"));

    // Placed but the payment not yet through: no claim that it is confirmed.
    let mut pending = order(OrderStatus::Pending);
    pending.transactions.clear();
    let body = order_page(
        &db,
        &request(&site, eu, "/orders/order_01TEST"),
        &pending,
        true,
    )
    .await
    .unwrap()
    .body;
    assert!(body.contains("Order #1042 was received and is awaiting payment."));
    assert!(!body.contains("is confirmed"));
    assert!(body.contains(r#"<strong class="status waiting">Awaiting payment</strong>"#));
    assert!(body.contains(r#"<li class="todo">Confirmed</li>"#));
    assert!(!body.contains("aria-current=\"step\""));

    // Later, as a detail page: shipped in a parcel with DHL, partly refunded.
    let mut o = order(OrderStatus::Shipped);
    o.transactions
        .push(transaction("3", TransactionKind::Refund, 1000));
    o.fulfillments = vec![commerce::order::Fulfillment {
        id: commerce::ids::FulfillmentId::parse("ful_1").unwrap(),
        location_id: commerce::ids::StockLocationId::parse("sloc_A1").unwrap(),
        location_name: "A one".into(),
        items: vec![commerce::order::ParcelLine {
            item_id: o.items[0].id.clone(),
            quantity: 2,
        }],
        created_at_ms: T0,
        shipped_at_ms: Some(T0 + 1),
        shipment: Some(commerce::order::Shipment::new("DHL", "JD0146", "").unwrap()),
        canceled_at_ms: None,
    }];
    let body = order_page(&db, &request(&site, eu, "/orders/order_01TEST"), &o, false)
        .await
        .unwrap()
        .body;
    assert!(body.contains("<h1>Order #1042</h1>"));
    assert!(!body.contains("Thank you"));
    assert!(body.contains(r#"<strong class="status good">Shipped</strong>"#));
    assert!(body.contains(r#"<li class="done">Confirmed<span class="sr-only"> (done)</span></li>"#));
    assert!(body.contains(r#"<li class="done">Packed<span class="sr-only"> (done)</span></li>"#));
    assert!(body.contains(r#"<li class="current" aria-current="step">Shipped</li>"#));
    assert!(body.contains("<dt>Paid</dt><dd>€43.95</dd>"));
    assert!(body.contains("<dt>Refunded</dt><dd>€10.00</dd>"));
    assert!(
        body.contains("2 × Linen Shirt (M) with DHL: <a href=\"https://www.dhl.com/global-en/home/tracking.html?tracking-id=JD0146\">follow parcel JD0146</a>"),
        "{body}"
    );
    assert!(body.contains(r#"<a href="/orders/lookup">Find another order</a>"#));
}

#[tokio::test]
async fn failed_and_canceled_orders_say_so() {
    let db = test_db().await;
    let site = site(&db).await;
    let eu = region(&site, "reg_AEU");
    let mut failed = order(OrderStatus::Failed);
    failed.transactions.clear();
    failed.failure_reason = Some("declined: insufficient funds (provider code 51)".into());
    let page = order_page(
        &db,
        &request(&site, eu, "/orders/order_01TEST"),
        &failed,
        true,
    )
    .await
    .unwrap();
    check_page(&page);
    let body = &page.body;
    assert!(body.contains("<h1>Payment failed for order #1042</h1>"));
    assert!(body.contains(
        r#"<p class="notice error">The payment for this order did not go through, so it will not be shipped. You have not been charged.</p>"#
    ));
    assert!(body.contains(r#"<strong class="status bad">Payment failed</strong>"#));
    assert!(!body.contains("Thank you"));
    assert!(!body.contains("is confirmed"));
    assert!(!body.contains(r#"class="progress""#), "no progress to show");
    assert!(
        !body.contains("provider code"),
        "the provider's reason stays inside"
    );
    assert!(body.contains("<dt>Paid</dt><dd>€0.00</dd>"));

    // A canceled US order (tax added on top), refunded.
    let us = region(&site, "reg_AUS");
    let mut canceled = order(OrderStatus::Canceled);
    canceled.currency = commerce::money::CurrencyCode::parse("usd").unwrap();
    canceled.tax_rate_bp = 1000;
    canceled.tax_inclusive = false;
    canceled.shipping_address.country_code = Some("us".into());
    canceled.items = vec![item("A1S", "Linen Shirt", "S", 2600, 1)];
    canceled.item_total = MinorUnits::new(2860);
    canceled.item_tax_total = MinorUnits::new(260);
    canceled.shipping_total = MinorUnits::new(655);
    canceled.shipping_tax_total = MinorUnits::new(60);
    canceled.tax_total = MinorUnits::new(320);
    canceled.total = MinorUnits::new(3515);
    canceled.transactions = vec![
        transaction("1", TransactionKind::Capture, 3515),
        transaction("2", TransactionKind::Refund, 3515),
    ];
    let page = order_page(
        &db,
        &request(&site, us, "/orders/order_01TEST"),
        &canceled,
        false,
    )
    .await
    .unwrap();
    check_page(&page);
    let body = &page.body;
    assert!(body.contains("<h1>Order #1042 was canceled</h1>"));
    assert!(body.contains("This order was canceled and will not be shipped. $35.15 was refunded."));
    assert!(body.contains(r#"<strong class="status bad">Canceled</strong>"#));
    assert!(
        body.contains("<dt>Items</dt><dd>$26.00</dd>"),
        "net, as priced"
    );
    assert!(body.contains("<dt>Shipping</dt><dd>$5.95</dd>"));
    assert!(body.contains("<dt>Tax (10%)</dt><dd>$3.20</dd>"));
    assert!(body.contains(r#"<dt>Total</dt><dd class="grand">$35.15</dd>"#));
    assert!(body.contains("<dt>Refunded</dt><dd>$35.15</dd>"));
    assert!(body.contains("<br>United States"));
}

#[tokio::test]
async fn the_lookup_form_shows_its_error_in_place() {
    let db = test_db().await;
    let site = site(&db).await;
    let eu = region(&site, "reg_AEU");
    let req = request(&site, eu, "/orders/lookup");
    let page = order_lookup_page(&db, &req, LookupForm::default(), None, 200)
        .await
        .unwrap();
    check_page(&page);
    let body = &page.body;
    assert_eq!(page.status, 200);
    assert!(body.contains("<title>Find your order — Alpha</title>"));
    assert!(body.contains(r#"<form class="step-form" method="post" action="/orders/lookup">"#));
    assert!(body.contains(r#"<input id="email" name="email" type="email" value="""#));
    assert!(body.contains(r#"<input id="number" name="number" type="text" value="""#));
    assert!(body.contains("For example #1042"));
    assert!(!body.contains("role=\"alert\""));
    assert!(!body.contains("aria-invalid"));

    let form = LookupForm {
        email: "ada@example.com".into(),
        number: "#1042".into(),
    };
    assert_eq!(form.display_id(), Some(1042));
    let message = "We could not find an order with that number and email.";
    let page = order_lookup_page(&db, &req, form, Some(message.into()), 404)
        .await
        .unwrap();
    check_page(&page);
    let body = &page.body;
    assert_eq!(page.status, 404);
    assert!(body.contains(&format!(
        r#"<p class="notice error" role="alert" id="lookup-error">{message}</p>"#
    )));
    assert!(body.contains(
        r#"value="ada@example.com" maxlength="254" autocomplete="email" required aria-invalid="true" aria-describedby="lookup-error">"#
    ));
    assert!(body.contains(r##"value="#1042""##));
    assert!(body.contains(r#"aria-describedby="number-hint lookup-error" aria-invalid="true""#));
}
