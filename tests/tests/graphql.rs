//! GraphQL through the shop's host (`/graphql`, handed to the GraphQL Worker by its
//! service binding): the same products, prices and stores as the Store API, GET and
//! POST, refusals in GraphQL's shape with our codes, and CORS as for `/store/*`; a
//! whole purchase; the Steady Path store's products by journey stage in both APIs and
//! on its listing page.

use e2e::{client, url, HARBOR_KEY, LUMEN_KEY, STEADY_KEY};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn post(key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = client().post(url("/graphql")).json(&body);
    if let Some(key) = key {
        req = req.header("x-publishable-api-key", key);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

async fn query(key: &str, query: &str, variables: Value) -> Value {
    let (status, body) = post(Some(key), json!({"query": query, "variables": variables})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
}

#[tokio::test]
async fn products_and_prices_are_the_store_apis() {
    let rest: Value = client()
        .get(url("/store/products"))
        .query(&[("limit", "10"), ("region_id", "reg_HPEU")])
        .header("x-publishable-api-key", HARBOR_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body = query(
        HARBOR_KEY,
        "query($region: ID) { products(first: 10, regionId: $region) { id handle title thumbnail variants { id price { amount currencyCode } } } }",
        json!({"region": "reg_HPEU"}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let products = body["data"]["products"].as_array().unwrap();
    let rest_products = rest["products"].as_array().unwrap();
    assert_eq!(products.len(), rest_products.len());
    for (g, r) in products.iter().zip(rest_products) {
        assert_eq!(g["id"], r["id"]);
        assert_eq!(g["handle"], r["handle"]);
        assert_eq!(g["thumbnail"], r["thumbnail"]);
        for (gv, rv) in g["variants"]
            .as_array()
            .unwrap()
            .iter()
            .zip(r["variants"].as_array().unwrap())
        {
            assert_eq!(gv["id"], rv["id"]);
            let major = rv["calculated_price"]["calculated_amount"]
                .as_f64()
                .unwrap();
            assert_eq!(
                gv["price"]["amount"].as_i64().unwrap(),
                (major * 100.0).round() as i64,
                "{gv} {rv}"
            );
            assert_eq!(
                gv["price"]["currencyCode"],
                rv["calculated_price"]["currency_code"]
            );
        }
    }

    // One product by handle; the other store's key does not find it.
    let handle = products[0]["handle"].as_str().unwrap();
    let one =
        "query($handle: String) { product(handle: $handle) { id title categories { handle } } }";
    let found = query(HARBOR_KEY, one, json!({"handle": handle})).await;
    assert_eq!(found["data"]["product"]["id"], products[0]["id"]);
    let other = query(LUMEN_KEY, one, json!({"handle": handle})).await;
    assert!(other["errors"].is_null(), "{other}");
    assert!(other["data"]["product"].is_null(), "{other}");
}

#[tokio::test]
async fn a_get_query_answers_and_a_get_mutation_is_refused() {
    let res = client()
        .get(url("/graphql"))
        .query(&[(
            "query",
            "{ regions { id currencyCode } categories { handle } }",
        )])
        .header("x-publishable-api-key", HARBOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["data"]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "reg_HPEU"),
        "{body}"
    );
    assert!(
        body["data"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["handle"] == "shirts"),
        "{body}"
    );

    let res = client()
        .get(url("/graphql"))
        .query(&[("query", "mutation { addToCart { id } }")])
        .header("x-publishable-api-key", HARBOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body), "invalid_request_error", "{body}");
}

#[tokio::test]
async fn refusals_are_graphql_errors_with_codes_never_500s() {
    let (status, body) = post(None, json!({"query": "{ products { id } }"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "publishable_key_missing", "{body}");

    let res = client()
        .post(url("/graphql"))
        .header("x-publishable-api-key", HARBOR_KEY)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body), "invalid_request_error", "{body}");

    let huge = format!("{{ products {{ id }} }} # {}", "x".repeat(20_000));
    let (status, body) = post(Some(HARBOR_KEY), json!({"query": huge})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(code(&body), "payload_too_large");

    let syntax = query(HARBOR_KEY, "{ products { id ", json!({})).await;
    assert_eq!(code(&syntax), "graphql_parse_failed", "{syntax}");
    let unknown = query(HARBOR_KEY, "{ products { price } }", json!({})).await;
    assert_eq!(code(&unknown), "graphql_validation_failed", "{unknown}");
    let bomb: String = (0..40)
        .map(|i| format!("p{i}: products(first: 100) {{ variants {{ price {{ amount }} }} }} "))
        .collect();
    let complex = query(HARBOR_KEY, &format!("{{ {bomb} }}"), json!({})).await;
    assert_eq!(code(&complex), "graphql_validation_failed", "{complex}");
    let bad_region = query(
        HARBOR_KEY,
        "{ products(regionId: \"reg_nope\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&bad_region), "invalid_request_error", "{bad_region}");
}

#[tokio::test]
async fn browsers_of_the_storefront_origins_may_call_it() {
    let res = client()
        .request(reqwest::Method::OPTIONS, url("/graphql"))
        .header("origin", "http://localhost:8000")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:8000"
    );
    let res = client()
        .post(url("/graphql"))
        .header("origin", "http://localhost:8000")
        .header("x-publishable-api-key", HARBOR_KEY)
        .header(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        .json(&json!({"query": "{ regions { id } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:8000"
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let trace = res.headers()["traceparent"].to_str().unwrap();
    assert!(
        trace.starts_with("00-0af7651916cd43dd8448eb211c80319c-"),
        "{trace}"
    );
}

/// A GET of `/graphql` with these query-string pairs: status, `x-cache`, body.
async fn get(pairs: &[(&str, &str)]) -> (StatusCode, String, Value) {
    let res = client()
        .get(url("/graphql"))
        .query(pairs)
        .header("x-publishable-api-key", HARBOR_KEY)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let cache = res
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, cache, res.json().await.unwrap())
}

#[tokio::test]
async fn a_catalog_get_is_kept_in_the_edge_cache_and_a_persisted_query_is_found_by_its_hash() {
    use sha2::{Digest, Sha256};
    // A text of this test's own, so that its cache key is new.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let text = format!("{{ p{nonce}: products(first: 3) {{ handle }} }}");
    let (status, first, body) = get(&[("query", &text)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(first, "MISS");
    let mut again = String::new();
    for _ in 0..20 {
        let (_, cache, same) = get(&[("query", &text)]).await;
        assert_eq!(same, body);
        again = cache;
        if again == "HIT" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(again, "HIT", "the second GET is served from the edge cache");

    // Apollo's persisted queries: the hash alone is unknown at first; sent with its
    // text it is kept; then the hash alone is answered, and cached like any GET.
    let hash = hex::encode(Sha256::digest(text.as_bytes()));
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}}).to_string();
    let pairs = [("extensions", extensions.as_str())];
    let (status, _, unknown) = get(&pairs).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND", "{unknown}");
    let (status, _, registered) =
        get(&[("query", text.as_str()), ("extensions", &extensions)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(registered["data"], body["data"]);
    let mut found = Value::Null;
    for _ in 0..20 {
        found = get(&pairs).await.2;
        if found["data"].is_object() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(found["data"], body["data"], "{found}");

    // A hash that is not the text's is refused; so is a mutation behind a hash.
    let wrong = json!({"persistedQuery": {"version": 1, "sha256Hash": hex::encode(Sha256::digest(b"other"))}}).to_string();
    let (status, _, refused) = get(&[("query", text.as_str()), ("extensions", &wrong)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["errors"][0]["extensions"]["param"], "extensions");
    // A mutation's text kept through a POST (which answers it: there is none yet)…
    let mutation = "mutation { addToCart { id } }";
    let mutation_hash = hex::encode(Sha256::digest(mutation.as_bytes()));
    let persisted = json!({"persistedQuery": {"version": 1, "sha256Hash": mutation_hash}});
    post(
        Some(HARBOR_KEY),
        json!({"query": mutation, "extensions": persisted}),
    )
    .await;
    // …is never run by a GET of its hash.
    let by_hash = persisted.to_string();
    for _ in 0..20 {
        let (status, _, answer) = get(&[("extensions", by_hash.as_str())]).await;
        if code(&answer) != "PERSISTED_QUERY_NOT_FOUND" {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
            assert_eq!(code(&answer), "invalid_request_error");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the mutation's text was never kept");
}

/// The cart as GraphQL answers it (fragment of every mutation below).
const CART: &str = "fragment C on Cart { id email itemCount
  items { id variantId quantity total { amount } }
  shippingOptions { optionId name amount { amount } }
  shippingMethod { name } total { amount currencyCode } }";

async fn mutate(query: &str, variables: Value) -> Value {
    let body = query_of(&format!("{query} {CART}"), variables).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

async fn query_of(text: &str, variables: Value) -> Value {
    query(HARBOR_KEY, text, variables).await
}

/// A new cart in Harbor & Pine's Europe with `quantity` of a variant in stock, made by
/// `addToCart` without a session: its id and the mutation's data.
async fn new_cart(quantity: i32) -> (String, Value) {
    let listed = query_of(
        "{ products(first: 30, regionId: \"reg_HPEU\") { variants { id inStock } } }",
        json!({}),
    )
    .await;
    let variant = listed["data"]["products"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["variants"].as_array().unwrap().clone())
        .find(|v| v["inStock"] == true)
        .expect("a variant in stock")["id"]
        .clone();
    let made = mutate(
        "mutation($v: ID!, $q: Int!) { addToCart(variantId: $v, quantity: $q, regionId: \"reg_HPEU\") { ...C } }",
        json!({"v": variant, "q": quantity}),
    )
    .await;
    (made["addToCart"]["id"].as_str().unwrap().to_owned(), made)
}

#[tokio::test]
async fn a_cart_made_through_graphql_is_the_store_apis_cart() {
    let (id, made) = new_cart(2).await;
    assert_eq!(made["addToCart"]["itemCount"], 2);
    mutate(
        "mutation($s: String!) { setCartEmail(sessionId: $s, email: \"graphql@example.com\") { ...C } }",
        json!({"s": id}),
    )
    .await;
    let addressed = mutate(
        "mutation($s: String!) { setShippingAddress(sessionId: $s, address: {firstName: \"Grace\",
            lastName: \"H\", address1: \"1 Main St\", city: \"Berlin\", postalCode: \"10115\",
            countryCode: \"de\"}) { ...C } }",
        json!({"s": id}),
    )
    .await;
    let option = addressed["setShippingAddress"]["shippingOptions"][0]["optionId"].clone();
    let shipped = mutate(
        "mutation($s: String!, $o: ID!) { selectShippingMethod(sessionId: $s, optionId: $o) { ...C } }",
        json!({"s": id, "o": option}),
    )
    .await;
    let total = shipped["selectShippingMethod"]["total"]["amount"]
        .as_i64()
        .unwrap();

    // The Store API reads the same cart from the same object.
    let rest: Value = client()
        .get(url(&format!("/store/carts/{id}")))
        .header("x-publishable-api-key", HARBOR_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["cart"]["email"], "graphql@example.com");
    assert_eq!(rest["cart"]["items"][0]["quantity"], 2);
    let rest_total = rest["cart"]["total"].as_f64().unwrap();
    assert_eq!((rest_total * 100.0).round() as i64, total, "{rest}");

    // Quantity 0 removes the line; another store's key does not find the cart.
    let line = shipped["selectShippingMethod"]["items"][0]["id"].clone();
    let emptied = mutate(
        "mutation($s: String!, $l: ID!) { updateCartItem(sessionId: $s, lineId: $l, quantity: 0) { ...C } }",
        json!({"s": id, "l": line}),
    )
    .await;
    assert_eq!(emptied["updateCartItem"]["itemCount"], 0);
    let other = query(
        LUMEN_KEY,
        "query($s: String!) { cart(sessionId: $s) { id } }",
        json!({"s": id}),
    )
    .await;
    assert!(other["errors"].is_null(), "{other}");
    assert!(other["data"]["cart"].is_null(), "{other}");
}

const ORDER: &str = "mutation($s: String!, $card: String!) {
  createOrder(sessionId: $s, payment: {providerId: \"pp_system_default\", cardNumber: $card, cardHolder: \"Grace H\"}) {
    order { id displayId status email total { amount } items { quantity } }
    error { message name confirmationUrl } } }";

#[tokio::test]
async fn a_whole_purchase_through_graphql() {
    let (id, made) = new_cart(1).await;
    let line = made["addToCart"]["items"][0]["id"].clone();
    mutate(
        "mutation($s: String!, $l: ID!) { updateCartItem(sessionId: $s, lineId: $l, quantity: 2) { ...C } }",
        json!({"s": id, "l": line}),
    )
    .await;
    mutate(
        "mutation($s: String!) { setCartEmail(sessionId: $s, email: \"buyer-graphql@example.com\") { ...C } }",
        json!({"s": id}),
    )
    .await;
    let addressed = mutate(
        "mutation($s: String!) { setShippingAddress(sessionId: $s, address: {firstName: \"Grace\",
            lastName: \"H\", address1: \"1 Main St\", city: \"Berlin\", postalCode: \"10115\",
            countryCode: \"de\"}) { ...C } }",
        json!({"s": id}),
    )
    .await;
    let option = addressed["setShippingAddress"]["shippingOptions"][0]["optionId"].clone();
    let shipped = mutate(
        "mutation($s: String!, $o: ID!) { selectShippingMethod(sessionId: $s, optionId: $o) { ...C } }",
        json!({"s": id, "o": option}),
    )
    .await;
    let total = shipped["selectShippingMethod"]["total"]["amount"].clone();

    // A declined card: no order, the reason, the cart as it was.
    let declined = query_of(ORDER, json!({"s": id, "card": "4000 0000 0000 0002"})).await;
    assert!(declined["errors"].is_null(), "{declined}");
    let result = &declined["data"]["createOrder"];
    assert!(result["order"].is_null(), "{declined}");
    assert!(
        result["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{declined}"
    );
    // The test card that pays, as a Store API client pays: a payment session first
    // (startPayment), then the order without a payment of its own, at the cart's total.
    let started = query_of(
        "mutation($s: String!) { startPayment(sessionId: $s, payment: {providerId: \"pp_system_default\",
            cardNumber: \"4242 4242 4242 4242\"}) { id providerId status clientSecret } }",
        json!({"s": id}),
    )
    .await;
    assert!(started["errors"].is_null(), "{started}");
    let session = &started["data"]["startPayment"];
    assert_eq!(session["providerId"], "pp_system_default", "{started}");
    assert_eq!(session["status"], "pending", "{started}");
    assert!(session["clientSecret"].is_null(), "{started}");
    let paid = query_of(
        "mutation($s: String!) { createOrder(sessionId: $s) {
            order { id displayId status email total { amount } items { quantity } }
            error { message name } } }",
        json!({"s": id}),
    )
    .await;
    assert!(paid["errors"].is_null(), "{paid}");
    let order = &paid["data"]["createOrder"]["order"];
    assert_eq!(order["email"], "buyer-graphql@example.com", "{paid}");
    assert_eq!(order["total"]["amount"], total);
    assert_eq!(order["items"][0]["quantity"], 2);
    // The order the Store API shows is the same; the cart is completed.
    let rest: Value = client()
        .get(url(&format!(
            "/store/orders/{}",
            order["id"].as_str().unwrap()
        )))
        .header("x-publishable-api-key", HARBOR_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["order"]["display_id"], order["displayId"], "{rest}");
    // order(id) reads it as the Store API does; an unknown id is null.
    let read = query_of(
        "query($o: ID!) { order(id: $o) { id displayId total { amount } } }",
        json!({"o": order["id"]}),
    )
    .await;
    assert_eq!(
        read["data"]["order"]["displayId"], order["displayId"],
        "{read}"
    );
    assert_eq!(read["data"]["order"]["total"]["amount"], total, "{read}");
    let unknown = query_of(
        "{ order(id: \"order_01NOSUCHORDERNOSUCHORD00\") { id } }",
        json!({}),
    )
    .await;
    assert!(unknown["errors"].is_null(), "{unknown}");
    assert!(unknown["data"]["order"].is_null(), "{unknown}");
    let cart = query_of(
        "query($s: String!) { cart(sessionId: $s) { completed } }",
        json!({"s": id}),
    )
    .await;
    assert_eq!(cart["data"]["cart"]["completed"], true, "{cart}");
    // Ordering again answers the same order; a change is refused.
    let again = query_of(ORDER, json!({"s": id, "card": "4242 4242 4242 4242"})).await;
    assert_eq!(
        again["data"]["createOrder"]["order"]["id"], order["id"],
        "{again}"
    );
    let changed = query_of(
        "mutation($s: String!) { setCartEmail(sessionId: $s, email: \"late@example.com\") { id } }",
        json!({"s": id}),
    )
    .await;
    assert_eq!(code(&changed), "cart_completed", "{changed}");
}

#[tokio::test]
async fn steady_path_products_by_journey_stage_in_both_apis_and_its_listing() {
    let gql = query(
        STEADY_KEY,
        "{ products(category: \"supplements\", glp1Stage: \"active\", regionId: \"reg_SPUS\") {
            id title glp1Stage categories { handle } variants { price { currencyCode } } } }",
        json!({}),
    )
    .await;
    assert!(gql["errors"].is_null(), "{gql}");
    let products = gql["data"]["products"].as_array().unwrap();
    assert_eq!(products.len(), 2, "{gql}");
    for p in products {
        assert_eq!(p["glp1Stage"], "active", "{p}");
        assert_eq!(p["categories"][0]["handle"], "supplements", "{p}");
        assert_eq!(p["variants"][0]["price"]["currencyCode"], "usd", "{p}");
    }
    let mut ids: Vec<&str> = products.iter().map(|p| p["id"].as_str().unwrap()).collect();
    ids.sort_unstable();

    let rest: Value = client()
        .get(url("/store/products"))
        .query(&[
            ("attributes[glp1_stage]", "active"),
            ("category_id[]", "pcat_SPSUPPLEMENTS"),
            ("region_id", "reg_SPUS"),
        ])
        .header("x-publishable-api-key", STEADY_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut rest_ids: Vec<&str> = rest["products"]
        .as_array()
        .unwrap_or_else(|| panic!("{rest}"))
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    rest_ids.sort_unstable();
    assert_eq!(rest_ids, ids, "{rest}");

    // Every product of the store has its stage; the other stores know none of them.
    let all = query(
        STEADY_KEY,
        "{ productConnection(first: 100) { totalCount nodes { glp1Stage } } }",
        json!({}),
    )
    .await;
    let nodes = all["data"]["productConnection"]["nodes"]
        .as_array()
        .unwrap();
    assert_eq!(all["data"]["productConnection"]["totalCount"], 24, "{all}");
    assert!(nodes.iter().all(|n| n["glp1Stage"].is_string()), "{all}");
    let elsewhere = query(
        HARBOR_KEY,
        "query($id: ID!) { product(id: $id) { id } }",
        json!({"id": ids[0]}),
    )
    .await;
    assert!(elsewhere["data"]["product"].is_null(), "{elsewhere}");

    // The listing on the store's host offers the stage as a filter, and applies it.
    let page = client()
        .get(url("/categories/supplements"))
        .header("host", "steady.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Steady Path"), "{html}");
    assert!(html.contains("Journey stage"), "{html}");
    let filtered = client()
        .get(url("/categories/supplements?attr_glp1_stage=active"))
        .header("host", "steady.localhost")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for p in products {
        assert!(
            filtered.contains(p["title"].as_str().unwrap()),
            "{filtered}"
        );
    }
    assert!(!filtered.contains("Vitamin B12 Drops"), "{filtered}");

    // Each product's guide (educational content): on its page as HTML made from the
    // typed text, and in both APIs as typed and as that HTML.
    let page = client()
        .get(url("/products/whey-protein-isolate"))
        .header("host", "steady.localhost")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<h2 id=\"guide\">Good to know</h2>"),
        "{page}"
    );
    assert!(
        page.contains("<h3>Made for the weeks of steady loss</h3>"),
        "{page}"
    );
    let guide = query(
        STEADY_KEY,
        "{ product(handle: \"whey-protein-isolate\") { educationalContent educationalContentHtml } }",
        json!({}),
    )
    .await;
    let text = guide["data"]["product"]["educationalContent"]
        .as_str()
        .unwrap();
    assert!(
        text.starts_with("## Made for the weeks of steady loss\n"),
        "{guide}"
    );
    let html = guide["data"]["product"]["educationalContentHtml"]
        .as_str()
        .unwrap();
    assert!(html.contains("<strong>protein</strong>"), "{guide}");
    let rest: Value = client()
        .get(url("/store/products"))
        .query(&[("handle[]", "whey-protein-isolate")])
        .header("x-publishable-api-key", STEADY_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["products"][0]["educational_content"], text, "{rest}");
    assert_eq!(
        rest["products"][0]["educational_content_html"], html,
        "{rest}"
    );
}
