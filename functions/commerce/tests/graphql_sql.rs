//! The GraphQL API against a real PostgreSQL (the two-store fixture, plus 60 generated
//! products in Alpha): queries answer what the domain reads, a list of 50 products
//! with all their parts runs as many statements as a list of 1, prices follow the
//! region, another store's products are never found, and every refusal (bad syntax,
//! unknown field, depth and complexity bombs, an oversized query, bad arguments)
//! carries its stable code.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use commerce::cart::Cart;
use commerce::cart_api::{self, CartOp, CartOutcome};
use commerce::checkout::{CompleteResponse, PaymentChoice, SessionView};
use commerce::customer::{self, Profile};
use commerce::graphql::{Port, Shop};
use commerce::ids::{CartId, CustomerId, OrderId};
use commerce::order::Order;
use commerce::ApiError;

use commerce::db::{Param, Sql};
use commerce::graphql::{self, Limits, Reader, PARSE_FAILED, VALIDATION_FAILED};
use commerce::region::Region;
use commerce::store::{PublishableKey, Store};
use commerce::ErrorCode;
use serde_json::{json, Value};
use tokio_postgres::{Client, Row};

/// A client that counts the statements it runs.
struct Counting {
    client: Client,
    statements: Arc<AtomicUsize>,
}

impl Sql for Counting {
    async fn query_typed(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.statements.fetch_add(1, Ordering::SeqCst);
        self.client.query_typed(sql, params).await
    }

    async fn execute_typed(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<u64, tokio_postgres::Error> {
        self.statements.fetch_add(1, Ordering::SeqCst);
        self.client.execute_typed(sql, params).await
    }
}

/// Alpha's 60 more published products, each with two priced variants, stock and two
/// images, in the category `shirts`, newer than the fixture's.
const MORE_PRODUCTS: &str = "
INSERT INTO products (id, store_id, handle, title, description, status, created_at)
  SELECT 'prod_G' || i, 'store_ALPHA', 'generated-' || i, 'Generated Tee ' || i, 'Soft cotton', 'published',
         now() - interval '1 hour' + i * interval '1 second'
  FROM generate_series(1, 60) i;
INSERT INTO product_category_products (store_id, category_id, product_id)
  SELECT 'store_ALPHA', 'pcat_ASHIRTS', 'prod_G' || i FROM generate_series(1, 60) i;
INSERT INTO product_variants (id, store_id, product_id, title, sku, manage_inventory, allow_backorder, rank)
  SELECT 'variant_G' || i || v, 'store_ALPHA', 'prod_G' || i, 'Size ' || v, 'G-' || i || '-' || v, true, false, v
  FROM generate_series(1, 60) i, generate_series(1, 2) v;
INSERT INTO variant_prices (id, store_id, variant_id, currency_code, amount)
  SELECT 'price_G' || i || v, 'store_ALPHA', 'variant_G' || i || v, 'eur', 1000 + i
  FROM generate_series(1, 60) i, generate_series(1, 2) v;
INSERT INTO inventory_levels (store_id, variant_id, location_id, stocked, reserved)
  SELECT 'store_ALPHA', 'variant_G' || i || v, 'sloc_A1', v - 1, 0
  FROM generate_series(1, 60) i, generate_series(1, 2) v;
INSERT INTO product_images (id, store_id, product_id, r2_key, alt, rank, width, height)
  SELECT 'img_G' || i || r, 'store_ALPHA', 'prod_G' || i, 'products/g' || i || '-' || r || '.png', 'Tee', r, 640, 640
  FROM generate_series(1, 60) i, generate_series(0, 1) r;
";

struct Api {
    schema: graphql::ApiSchema<Counting>,
    store: Store,
    regions: Vec<Region>,
    url: String,
    carts: Arc<MemoryCarts>,
}

/// Carts kept in memory, each operation applied as the cart's object applies it.
struct MemoryCarts {
    client: Client,
    store: Store,
    carts: tokio::sync::Mutex<HashMap<CartId, Cart>>,
}

/// What has no origin here: payments, completions and orders are the end-to-end
/// tests' (through the Worker).
fn no_origin<'a, T: 'a>() -> Port<'a, T> {
    Box::pin(async {
        Err(ApiError::UpstreamUnavailable {
            message: "Payments are not available at the moment.".into(),
            detail: "no origin in the SQL tests".into(),
        })
    })
}

impl Shop for MemoryCarts {
    fn run(&self, id: CartId, op: CartOp) -> Port<'_, CartOutcome> {
        Box::pin(async move {
            let mut carts = self.carts.lock().await;
            let stored = carts.get(&id).cloned();
            let now_ms = 1_800_000_000_000 + carts.len() as u64;
            let mut outcome =
                cart_api::apply(&self.client, &self.store, &id, stored, op, now_ms, IMAGES).await?;
            if let Some(cart) = outcome.save.take() {
                carts.insert(id, cart);
            }
            Ok(outcome)
        })
    }

    fn start_payment(&self, _: CartId, _: PaymentChoice) -> Port<'_, SessionView> {
        no_origin()
    }

    fn complete(&self, _: CartId, _: Option<PaymentChoice>) -> Port<'_, CompleteResponse> {
        no_origin()
    }

    fn order(&self, _: OrderId) -> Port<'_, Order> {
        no_origin()
    }
}

const IMAGES: &str = "https://shop.test/images/";

async fn api(limits: Limits) -> Api {
    let (db, url) = common::test_db_and_url().await;
    db.batch_execute(MORE_PRODUCTS)
        .await
        .expect("generated products");
    let store = commerce::store::by_publishable_key(
        &db,
        &PublishableKey::parse(Some("pk_alpha_test_key_0001")).unwrap(),
    )
    .await
    .expect("store");
    let regions = commerce::region::all(&db, &store.id)
        .await
        .expect("regions");
    let carts = Arc::new(MemoryCarts {
        client: common::second_connection(&url).await,
        store: store.clone(),
        carts: Default::default(),
    });
    Api {
        schema: graphql::schema(limits),
        store,
        regions,
        url,
        carts,
    }
}

impl Api {
    /// Runs `query` with `variables` on a connection of its own: the response and the
    /// statements it ran.
    async fn run(&self, query: &str, variables: Value) -> (Value, usize) {
        self.run_as(None, query, variables).await
    }

    /// [`Api::run`] for a signed-in customer.
    async fn run_as(
        &self,
        customer: Option<CustomerId>,
        query: &str,
        variables: Value,
    ) -> (Value, usize) {
        let body = json!({"query": query, "variables": variables}).to_string();
        let request = match graphql::request_from_body(body.as_bytes(), &Limits::default()) {
            Ok(request) => request,
            Err(e) => return (json!({"refused": e.code().as_str()}), 0),
        };
        let statements = Arc::new(AtomicUsize::new(0));
        let counting = Counting {
            client: common::second_connection(&self.url).await,
            statements: Arc::clone(&statements),
        };
        let reader = Reader::new(
            counting,
            self.store.clone(),
            self.regions.clone(),
            IMAGES.to_owned(),
        )
        .with_shop(self.carts.clone())
        .with_customer(customer);
        let answer = graphql::execute(&self.schema, request, reader).await;
        let body = serde_json::from_str(&answer.body).expect("JSON");
        (body, statements.load(Ordering::SeqCst))
    }
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
}

const LIST: &str = "query($first: Int) {
  products(first: $first) {
    id handle title thumbnail
    images { url alt width height }
    variants { id title sku purchasable inStock price { amount currencyCode display } options { option value } }
    categories { handle }
    collection { handle }
  }
}";

#[tokio::test]
async fn a_list_of_fifty_products_runs_as_many_statements_as_a_list_of_one() {
    let api = api(Limits::default()).await;
    let (one, one_statements) = api.run(LIST, json!({"first": 1})).await;
    let (fifty, fifty_statements) = api.run(LIST, json!({"first": 50})).await;
    assert!(one["errors"].is_null(), "{one}");
    assert!(fifty["errors"].is_null(), "{fifty}");
    let products = fifty["data"]["products"].as_array().unwrap();
    assert_eq!(products.len(), 50);
    assert!(products
        .iter()
        .all(|p| p["variants"].as_array().unwrap().len() == 2
            && p["images"].as_array().unwrap().len() == 2));
    // Without a region or currency there is no price.
    assert!(products[0]["variants"][0]["price"].is_null());
    assert_eq!(
        one_statements, fifty_statements,
        "statements grow with the list"
    );
    assert!(
        fifty_statements <= 2,
        "{fifty_statements} statements for one list"
    );
}

#[tokio::test]
async fn one_product_by_id_or_handle_priced_in_a_region_and_never_another_stores() {
    let api = api(Limits::default()).await;
    let query = "query($id: ID, $handle: String, $region: ID) {
      product(id: $id, handle: $handle, regionId: $region) {
        id handle title thumbnail glp1Stage purchasable
        variants { sku purchasable inStock price { amount currencyCode display amountWithTax amountWithoutTax taxInclusive } }
        images { url alt }
        options { title values }
        categories { handle }
      }
    }";
    let (by_id, statements) = api
        .run(query, json!({"id": "prod_A1", "region": "reg_AUS"}))
        .await;
    assert!(by_id["errors"].is_null(), "{by_id}");
    let product = &by_id["data"]["product"];
    assert_eq!(product["handle"], "linen-shirt");
    assert_eq!(
        product["thumbnail"],
        "https://shop.test/images/products/a1-front.png"
    );
    assert_eq!(product["images"][0]["alt"], "Front");
    assert_eq!(
        product["options"][0],
        json!({"title": "Size", "values": ["S", "M"]})
    );
    assert_eq!(product["categories"][0]["handle"], "shirts");
    assert!(product["glp1Stage"].is_null());
    // United States: usd, 10 % added on top; M has no usd price.
    assert_eq!(
        product["variants"][0]["price"],
        json!({"amount": 2600, "currencyCode": "usd", "display": "26.00",
               "amountWithTax": 2860, "amountWithoutTax": 2600, "taxInclusive": false})
    );
    assert!(product["variants"][1]["price"].is_null());
    // S has 12 of 15 free; M none but backorders allowed.
    assert_eq!(product["variants"][0]["inStock"], true);
    assert_eq!(product["variants"][1]["inStock"], false);
    assert_eq!(product["variants"][1]["purchasable"], true);
    assert_eq!(statements, 1, "the region is known: one read");

    let (by_handle, _) = api
        .run(query, json!({"handle": "linen-shirt", "region": "reg_AEU"}))
        .await;
    let price = &by_handle["data"]["product"]["variants"][0]["price"];
    assert_eq!(by_handle["data"]["product"]["id"], "prod_A1");
    // Europe: eur, 20 % contained.
    assert_eq!(price["amount"], 2450);
    assert_eq!(price["amountWithoutTax"], 2042);
    assert_eq!(price["taxInclusive"], true);

    // Beta's product, a draft, an unknown handle: null, not an error.
    for (id, handle) in [
        (Some("prod_B1"), None),
        (Some("prod_A4"), None),
        (None, Some("no-such-thing")),
    ] {
        let (missing, _) = api.run(query, json!({"id": id, "handle": handle})).await;
        assert!(missing["errors"].is_null(), "{missing}");
        assert!(missing["data"]["product"].is_null(), "{missing}");
    }
    // A region of another store is a bad argument.
    let (beta_region, _) = api
        .run(query, json!({"id": "prod_A1", "region": "reg_BEU"}))
        .await;
    assert_eq!(code(&beta_region), ErrorCode::InvalidRequest.as_str());
    assert_eq!(beta_region["errors"][0]["extensions"]["param"], "region_id");
    // Neither id nor handle.
    let (neither, _) = api.run(query, json!({})).await;
    assert_eq!(code(&neither), ErrorCode::InvalidRequest.as_str());
}

#[tokio::test]
async fn lists_narrowed_by_category_and_search_and_paged_by_cursor() {
    let api = api(Limits::default()).await;
    let (shirts, _) = api
        .run("{ products(category: \"shirts\", first: 100, currencyCode: \"EUR\") { handle variants { price { amount } } } }", json!({}))
        .await;
    let shirts = shirts["data"]["products"].as_array().unwrap().clone();
    assert_eq!(shirts.len(), 61, "the 60 tees and the linen shirt");
    assert_eq!(shirts[0]["handle"], "generated-60", "newest first");
    assert_eq!(shirts[0]["variants"][0]["price"]["amount"], 1060);
    let (unknown, _) = api
        .run(
            "{ products(category: \"no-such-category\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(unknown["data"]["products"], json!([]));

    let (search, _) = api
        .run("{ products(q: \"linen\") { handle } }", json!({}))
        .await;
    assert_eq!(
        search["data"]["products"],
        json!([{"handle": "linen-shirt"}])
    );

    let page = "query($after: String) { productConnection(category: \"shirts\", first: 25, after: $after) {
        totalCount edges { cursor node { handle } } pageInfo { hasNextPage endCursor } } }";
    let mut handles = Vec::new();
    let mut after = Value::Null;
    for _ in 0..3 {
        let (answer, _) = api.run(page, json!({"after": after})).await;
        let connection = &answer["data"]["productConnection"];
        assert_eq!(connection["totalCount"], 61, "{answer}");
        for edge in connection["edges"].as_array().unwrap() {
            handles.push(edge["node"]["handle"].as_str().unwrap().to_owned());
        }
        after = connection["pageInfo"]["endCursor"].clone();
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
    }
    let listed: Vec<String> = shirts
        .iter()
        .map(|p| p["handle"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(handles, listed, "the pages together are the list");
    let (bad_cursor, _) = api.run(page, json!({"after": "not-a-cursor"})).await;
    assert_eq!(code(&bad_cursor), ErrorCode::InvalidRequest.as_str());

    let (menus, _) = api
        .run("{ productConnection(first: 1) { totalCount facets { inStock categories { value products } } } }", json!({}))
        .await;
    let facets = &menus["data"]["productConnection"]["facets"];
    assert_eq!(
        menus["data"]["productConnection"]["totalCount"], 63,
        "{menus}"
    );
    assert!(
        facets["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["value"] == "pcat_ASHIRTS" && c["products"] == 61),
        "{menus}"
    );
}

#[tokio::test]
async fn refusals_carry_their_codes() {
    let api = api(Limits::default()).await;
    let (syntax, statements) = api.run("{ products { id ", json!({})).await;
    assert_eq!(code(&syntax), PARSE_FAILED, "{syntax}");
    assert_eq!(statements, 0);
    let (unknown, _) = api.run("{ products { password } }", json!({})).await;
    assert_eq!(code(&unknown), VALIDATION_FAILED, "{unknown}");
    let (wrong_type, _) = api
        .run("{ products(first: \"many\") { id } }", json!({}))
        .await;
    assert_eq!(code(&wrong_type), VALIDATION_FAILED, "{wrong_type}");
    let (too_many, _) = api.run("{ products(first: 1000) { id } }", json!({})).await;
    assert_eq!(
        code(&too_many),
        ErrorCode::InvalidRequest.as_str(),
        "{too_many}"
    );
    assert_eq!(too_many["errors"][0]["extensions"]["param"], "first");

    // Depth: connections nest no deeper than their types allow, so a bomb repeats
    // fragments of the deepest path; complexity: many aliased pages of 100.
    let deep = "{ productConnection { edges { node { variants { options { option } price { amount } } } } facets { attributes { values { label } } } } }";
    let (ok, _) = api.run(deep, json!({})).await;
    assert!(ok["errors"].is_null(), "{ok}");
    let limits = Limits {
        depth: 4,
        ..Limits::default()
    };
    let shallow = api_with(&api, limits);
    let (too_deep, statements) = shallow.run(deep, json!({})).await;
    assert_eq!(code(&too_deep), VALIDATION_FAILED, "{too_deep}");
    assert!(
        too_deep["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{too_deep}"
    );
    assert_eq!(statements, 0, "refused before any resolver ran");
    let aliases: String = (0..30)
        .map(|i| {
            format!("p{i}: products(first: 100) {{ id variants {{ id price {{ amount }} }} }} ")
        })
        .collect();
    let (too_complex, statements) = api.run(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(code(&too_complex), VALIDATION_FAILED, "{too_complex}");
    assert!(
        too_complex["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{too_complex}"
    );
    assert_eq!(statements, 0);

    let huge = format!("{{ products {{ id }} }} # {}", "x".repeat(9000));
    let (refused, _) = api.run(&huge, json!({})).await;
    assert_eq!(refused["refused"], ErrorCode::PayloadTooLarge.as_str());
    let (empty, _) = api.run("  ", json!({})).await;
    assert_eq!(empty["refused"], ErrorCode::InvalidRequest.as_str());
}

/// The same store and database with other limits.
fn api_with(api: &Api, limits: Limits) -> Api {
    Api {
        schema: graphql::schema(limits),
        store: api.store.clone(),
        regions: api.regions.clone(),
        url: api.url.clone(),
        carts: api.carts.clone(),
    }
}

const CART: &str = "fragment C on Cart { id email itemCount completed
  items { id variantId quantity unitPrice { amount } total { amount currencyCode } }
  shippingAddress { countryCode city } shippingMethod { optionId name amount { amount } }
  shippingOptions { optionId name amount { amount } }
  subtotal { amount } shippingTotal { amount } taxTotal { amount } total { amount display } }";

#[tokio::test]
async fn a_cart_is_filled_addressed_and_given_shipping_through_mutations() {
    let api = api(Limits::default()).await;
    let run = |q: String, v: Value| {
        let api = &api;
        async move {
            let (body, _) = api.run(&format!("{q} {CART}"), v).await;
            assert!(body["errors"].is_null(), "{body}");
            body["data"].clone()
        }
    };
    let added = run(
        "mutation($v: ID!) { addToCart(variantId: $v, quantity: 1, regionId: \"reg_AEU\") { ...C } }".into(),
        json!({"v": "variant_A1S"}),
    )
    .await;
    let cart = &added["addToCart"];
    let id = cart["id"].as_str().unwrap().to_owned();
    assert_eq!(cart["items"][0]["unitPrice"]["amount"], 2450);
    assert_eq!(cart["itemCount"], 1);

    let more = run(
        "mutation($s: String!, $v: ID!) { addToCart(sessionId: $s, variantId: $v, quantity: 2) { ...C } }".into(),
        json!({"s": id, "v": "variant_A3"}),
    )
    .await;
    let line = more["addToCart"]["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(more["addToCart"]["itemCount"], 3);
    let three = run(
        "mutation($s: String!, $l: ID!) { updateCartItem(sessionId: $s, lineId: $l, quantity: 3) { ...C } }".into(),
        json!({"s": id, "l": line}),
    )
    .await;
    assert_eq!(three["updateCartItem"]["items"][0]["quantity"], 3);
    let emailed = run(
        "mutation($s: String!) { setCartEmail(sessionId: $s, email: \"buyer@example.com\") { ...C } }".into(),
        json!({"s": id}),
    )
    .await;
    assert_eq!(emailed["setCartEmail"]["email"], "buyer@example.com");
    let addressed = run(
        "mutation($s: String!) { setShippingAddress(sessionId: $s, address: {firstName: \"Ada\", lastName: \"L\", address1: \"1 Rue\", city: \"Paris\", postalCode: \"75001\", countryCode: \"fr\"}) { ...C } }".into(),
        json!({"s": id}),
    )
    .await;
    let cart = &addressed["setShippingAddress"];
    assert_eq!(cart["shippingAddress"]["city"], "Paris");
    let options = cart["shippingOptions"].as_array().unwrap();
    assert_eq!(options.len(), 3, "{cart}");
    let standard = options.iter().find(|o| o["name"] == "Standard").unwrap();
    let shipped = run(
        "mutation($s: String!, $o: ID!) { selectShippingMethod(sessionId: $s, optionId: $o) { ...C } }".into(),
        json!({"s": id, "o": standard["optionId"]}),
    )
    .await;
    let cart = &shipped["selectShippingMethod"];
    assert_eq!(cart["shippingMethod"]["name"], "Standard");
    assert_eq!(cart["shippingTotal"]["amount"], 495);
    // 3 x 24.50 + 2 x 15.00 + 4.95 shipping, prices with 20 % tax in them.
    assert_eq!(cart["total"]["amount"], 3 * 2450 + 2 * 1500 + 495, "{cart}");
    assert_eq!(
        cart["subtotal"]["amount"].as_i64().unwrap() + cart["taxTotal"]["amount"].as_i64().unwrap(),
        cart["total"]["amount"].as_i64().unwrap()
    );

    // The same cart read back; quantity 0 removes a line.
    let (read, _) = api
        .run(
            &format!("query($s: String!) {{ cart(sessionId: $s) {{ ...C }} }} {CART}"),
            json!({"s": id}),
        )
        .await;
    assert_eq!(read["data"]["cart"]["total"], cart["total"]);
    let removed = run(
        "mutation($s: String!, $l: ID!) { updateCartItem(sessionId: $s, lineId: $l, quantity: 0) { ...C } }".into(),
        json!({"s": id, "l": line}),
    )
    .await;
    assert_eq!(
        removed["updateCartItem"]["items"].as_array().unwrap().len(),
        1
    );

    // Refusals keep the Store API's codes; an unknown cart is null.
    let (sold_out, _) = api
        .run("mutation($s: String!) { addToCart(sessionId: $s, variantId: \"variant_A2\", quantity: 1) { id } }", json!({"s": id}))
        .await;
    assert_eq!(
        code(&sold_out),
        ErrorCode::InvalidRequest.as_str(),
        "{sold_out}"
    );
    assert_eq!(sold_out["errors"][0]["extensions"]["param"], "variant_id");
    assert!(sold_out["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("sold out"));
    let (bad_email, _) = api
        .run("mutation($s: String!) { setCartEmail(sessionId: $s, email: \"not an address\") { id } }", json!({"s": id}))
        .await;
    assert_eq!(
        code(&bad_email),
        ErrorCode::InvalidRequest.as_str(),
        "{bad_email}"
    );
    let (other_store, _) = api
        .run("mutation($s: String!) { addToCart(sessionId: $s, variantId: \"variant_B1\", quantity: 1) { id } }", json!({"s": id}))
        .await;
    assert!(other_store["errors"].is_array(), "{other_store}");
    let (none, _) = api
        .run(
            "{ cart(sessionId: \"cart_01NOSUCHCARTNOSUCHCART00\") { id } }",
            json!({}),
        )
        .await;
    assert!(none["errors"].is_null(), "{none}");
    assert!(none["data"]["cart"].is_null());
    let (unknown, _) = api
        .run(
            "mutation { setCartEmail(sessionId: \"nonsense\", email: \"a@b.c\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&unknown), ErrorCode::NotFound.as_str(), "{unknown}");
}

#[tokio::test]
async fn orders_answer_only_the_signed_in_customer_for_their_own_confirmed_address() {
    let api = api(Limits::default()).await;
    let db = common::second_connection(&api.url).await;
    let email = "reader-of-orders@example.com";
    customer::register(&db, &api.store.id, email, "a long and unusual passphrase")
        .await
        .unwrap();
    let who = customer::sign_in(&db, &api.store.id, email, "a long and unusual passphrase")
        .await
        .unwrap();
    let me = customer::create_customer(&db, &who, &Profile::default())
        .await
        .unwrap()
        .id;
    let orders = "query($e: String!) { orders(userEmail: $e) { id } }";
    let mine = json!({"e": email});

    let (anonymous, _) = api.run(orders, mine.clone()).await;
    assert_eq!(code(&anonymous), "not_signed_in", "{anonymous}");
    // Signed in, but the address is not confirmed yet.
    let (unconfirmed, _) = api.run_as(Some(me.clone()), orders, mine.clone()).await;
    assert_eq!(code(&unconfirmed), "forbidden", "{unconfirmed}");
    db.execute(
        "UPDATE customers SET email_verified_at = now() WHERE id = $1",
        &[&me.as_str()],
    )
    .await
    .unwrap();
    let (own, _) = api
        .run_as(
            Some(me.clone()),
            orders,
            json!({"e": "Reader-Of-Orders@Example.com"}),
        )
        .await;
    assert!(own["errors"].is_null(), "{own}");
    assert_eq!(own["data"]["orders"], json!([]));
    // Another address is refused, whether or not it has orders.
    let (other, _) = api
        .run_as(
            Some(me.clone()),
            orders,
            json!({"e": "someone-else@example.com"}),
        )
        .await;
    assert_eq!(code(&other), "forbidden", "{other}");
    assert!(other["data"].is_null(), "{other}");
    // An order by id needs the origin, which this test has not: its code, not a panic.
    let (by_id, _) = api
        .run(
            "{ order(id: \"order_01NOSUCHORDERNOSUCHORD00\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&by_id), "upstream_unavailable", "{by_id}");
    let (nonsense, _) = api
        .run("{ order(id: \"nonsense\") { id } }", json!({}))
        .await;
    assert!(nonsense["errors"].is_null(), "{nonsense}");
    assert!(nonsense["data"]["order"].is_null());
}
