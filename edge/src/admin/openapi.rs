//! The admin API's OpenAPI 3.1 document, served at `GET /admin/openapi.json`. Paths,
//! methods and permissions come from the routing table itself; this module adds what
//! the table does not say (a summary, the request body, the answer). A test keeps the
//! two in step: every documented operation is a route, and every admin route is
//! either documented or a page that answers only browsers.

use serde_json::{json, Map, Value};

use crate::router::{Access, Route, Verb, ROUTES};

/// One operation of the admin API.
struct Operation {
    verb: Verb,
    path: &'static str,
    summary: &'static str,
    /// The JSON body's schema (a `$ref` or an inline schema), when it takes one.
    body: Option<fn() -> Value>,
    /// The schema of the 200 answer.
    answer: &'static str,
}

const fn op(
    verb: Verb,
    path: &'static str,
    summary: &'static str,
    body: Option<fn() -> Value>,
    answer: &'static str,
) -> Operation {
    Operation {
        verb,
        path,
        summary,
        body,
        answer,
    }
}

fn action_body() -> Value {
    json!({"type": "object", "properties": {
        "reason": {"type": "string", "description": "Why (kept in the audit log)."}}})
}

fn fulfill_body() -> Value {
    json!({"type": "object", "properties": {
        "location_id": {"type": "string", "description":
            "The stock location to pack at; the held stock moves there. Absent: where it is held, a parcel per location."},
        "items": {"type": "array", "description": "Absent: every unit not yet packed.",
                  "items": {"$ref": "#/components/schemas/ItemQuantity"}}}})
}

fn ship_body() -> Value {
    json!({"type": "object", "properties": {
        "fulfillment_id": {"type": "string", "description": "The parcel; absent: every packed parcel waiting."},
        "carrier": {"type": "string", "description": "DHL, DPD, FedEx, GLS, Royal Mail, UPS, USPS link to their tracking pages."},
        "tracking_number": {"type": "string"},
        "tracking_url": {"type": "string", "description": "https only; for other carriers."}}})
}

fn shipment_body() -> Value {
    json!({"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/ItemQuantity"},
                  "description": "Accepted for Medusa's clients; the whole parcel ships."},
        "labels": {"type": "array", "items": {"type": "object", "properties": {
            "tracking_number": {"type": "string"}, "tracking_url": {"type": "string"},
            "label_url": {"type": "string"}}}},
        "carrier": {"type": "string", "description": "Absent: the tracking link's host."}}})
}

fn refund_body() -> Value {
    json!({"type": "object", "required": ["reason"], "properties": {
        "amount": {"type": ["number", "string"], "description": "Major units; absent: all that is left."},
        "reason": {"type": "string"}}})
}

fn payment_refund_body() -> Value {
    json!({"type": "object", "required": ["note"], "properties": {
        "amount": {"type": "number", "description": "Major units; absent: all that is left."},
        "note": {"type": "string", "description": "The reason."}}})
}

fn sign_in_body() -> Value {
    json!({"type": "object", "required": ["email", "password"], "properties": {
        "email": {"type": "string", "format": "email"}, "password": {"type": "string"}}})
}

fn invite_body() -> Value {
    json!({"type": "object", "required": ["email"], "properties": {
        "email": {"type": "string", "format": "email"},
        "role": {"$ref": "#/components/schemas/Role", "description": "Absent: analyst."}}})
}

fn api_key_body() -> Value {
    json!({"type": "object", "required": ["title"], "properties": {
        "title": {"type": "string", "maxLength": 100},
        "type": {"const": "secret"},
        "role": {"$ref": "#/components/schemas/Role", "description": "Absent: admin. Never owner."}}})
}

fn webhook_topics() -> Value {
    let topics: Vec<&str> = commerce::webhook::offered_topics()
        .into_iter()
        .map(commerce::outbox::Topic::as_str)
        .collect();
    json!({"type": "array", "minItems": 1, "items": {"type": "string", "enum": topics}})
}

fn webhook_body() -> Value {
    json!({"type": "object", "required": ["url", "topics"], "properties": {
        "url": {"type": "string", "format": "uri", "maxLength": 2000,
                "description": "https only in production, never a private, loopback or link-local address."},
        "topics": webhook_topics(),
        "description": {"type": "string", "maxLength": 500}}})
}

fn webhook_update_body() -> Value {
    json!({"type": "object", "properties": {
        "url": {"type": "string", "format": "uri", "maxLength": 2000},
        "topics": webhook_topics(),
        "description": {"type": "string", "maxLength": 500},
        "status": {"enum": ["active", "paused"]}}})
}

fn stock_change_fields(quantity: (&str, &str)) -> Value {
    let reasons: Vec<&str> = commerce::inventory::Reason::ALL
        .iter()
        .map(|r| r.as_str())
        .collect();
    json!({
        quantity.0: {"type": "integer", "description": quantity.1},
        "reason": {"type": "string", "enum": reasons},
        "note": {"type": "string", "maxLength": 500},
        "version": {"type": "integer", "description":
            "The level's version as read; the change is refused (409) if the count moved since."}})
}

fn product_body() -> Value {
    json!({"type": "object", "properties": {
        "title": {"type": "string", "maxLength": 200},
        "handle": {"type": "string", "maxLength": 100, "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
                   "description": "Unique in the store (409 otherwise); absent on create: made from the title."},
        "subtitle": {"type": "string", "maxLength": 200},
        "description": {"type": "string", "maxLength": 10000},
        "educational_content": {"type": "string", "maxLength": 20000, "description":
            "Rich text: paragraphs split by a blank line, `## ` headings, `- ` lists, **bold**, [links](https://…); no HTML."},
        "status": {"type": "string", "enum": ["draft", "published", "archived"],
                   "description": "published needs a variant; archived hides it and leaves it out of the list unless asked for."}}})
}

fn variant_body() -> Value {
    json!({"type": "object", "required": ["title", "prices"], "properties": {
        "title": {"type": "string", "maxLength": 200},
        "sku": {"type": "string", "maxLength": 100, "description": "Unique in the store (409 otherwise)."},
        "barcode": {"type": "string", "pattern": "^[A-Za-z0-9-]{0,64}$", "description": "EAN, UPC, ISBN or the store's own; unique in the store (409 duplicate_barcode); empty: none."},
        "manage_inventory": {"type": "boolean", "description": "Default true."},
        "allow_backorder": {"type": "boolean", "description": "Default false."},
        "weight": {"type": ["integer", "null"], "description": "Grams."},
        "options": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "A value of each of the product's options, by option title (new variants)."},
        "prices": {"type": "array", "items": {"type": "object", "required": ["currency_code", "amount"],
            "properties": {"currency_code": {"type": "string"},
                           "amount": {"type": "number", "description": "Major units."}}}}}})
}

/// An object schema with its required fields; other fields may come.
fn open(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties,
           "additionalProperties": true})
}

/// `{import}`: a catalog import as its page shows it.
fn import_schema() -> Value {
    let import = open(
        &["id", "status", "products", "done"],
        json!({
            "id": {"type": "string"}, "file_name": {"type": "string"},
            "status": {"type": "string", "enum": ["checked", "importing", "done", "failed"]},
            "rows": {"type": "integer"}, "products": {"type": "integer"},
            "to_create": {"type": "integer"}, "to_update": {"type": "integer"},
            "refused_rows": {"type": "integer"}, "problem_count": {"type": "integer"},
            "problems": {"type": "array", "items": {"$ref": "#/components/schemas/ImportProblem"}},
            "done": {"type": "integer"}, "summary": {"type": ["object", "null"]},
            "error": {"type": ["string", "null"]}}),
    );
    open(&["import"], json!({ "import": import }))
}

fn category_body() -> Value {
    json!({"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 200}, "handle": {"type": "string", "maxLength": 100},
        "description": {"type": "string"}, "is_active": {"type": "boolean"},
        "parent_category_id": {"type": ["string", "null"]}}})
}

fn collection_body() -> Value {
    json!({"type": "object", "properties": {
        "title": {"type": "string", "maxLength": 200}, "handle": {"type": "string", "maxLength": 100}}})
}

fn link_body() -> Value {
    json!({"type": "object", "properties": {
        "add": {"type": "array", "items": {"type": "string"}},
        "remove": {"type": "array", "items": {"type": "string"}}}})
}

fn import_body() -> Value {
    json!({"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "Shopify's product CSV, up to 40 MB."}}})
}

fn upload_body() -> Value {
    json!({"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string", "format": "binary"},
        "alt": {"type": "string", "maxLength": 300}}})
}

fn alt_body() -> Value {
    json!({"type": "object", "required": ["alt"], "properties": {
        "alt": {"type": "string", "maxLength": 300}}})
}

fn option_body() -> Value {
    json!({"type": "object", "properties": {
        "title": {"type": "string", "maxLength": 100, "description": "Unique among the product's options, whatever the case."},
        "values": {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": 100}}}})
}

fn generate_body() -> Value {
    json!({"type": "object", "required": ["prices"], "properties": {
        "sku_prefix": {"type": "string", "description": "Each SKU is the prefix and the values (TEE-M-BLUE); absent: no SKUs."},
        "manage_inventory": {"type": "boolean", "description": "Default true."},
        "allow_backorder": {"type": "boolean", "description": "Default false."},
        "prices": {"type": "array", "items": {"type": "object", "required": ["currency_code", "amount"],
            "properties": {"currency_code": {"type": "string"},
                           "amount": {"type": "number", "description": "Major units."}}}}}})
}

fn attribute_body() -> Value {
    json!({"type": "object", "required": ["label", "kind"], "properties": {
        "label": {"type": "string", "minLength": 1, "maxLength": 100},
        "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$",
                "description": "Unique in the store (409 duplicate_name); absent on create: made from the label."},
        "kind": {"type": "string", "enum": ["text", "number", "boolean", "choice"]},
        "choices": {"type": "array", "items": {"type": "string", "maxLength": 100}, "maxItems": 100,
                    "description": "The list's choices (kind choice)."},
        "filterable": {"type": "boolean", "description": "Offered as a listing filter (boolean and choice kinds)."},
        "confirm": {"type": "boolean", "description": "Go on although products' values change (a removed choice, a new key): 409 attribute_in_use until then."}}})
}

fn values_body() -> Value {
    json!({"type": "object", "required": ["attributes"], "properties": {
        "attributes": {"type": "object", "description": "Every value of the product by attribute key (absent keys lose theirs): strings, numbers or booleans as the attribute's kind says; a list's value is one of its choices."}}})
}

fn name_body() -> Value {
    json!({"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100,
                 "description": "Unique in the store, whatever the case."}}})
}

fn level_body() -> Value {
    json!({"type": "object", "required": ["stocked_quantity"], "properties":
        stock_change_fields(("stocked_quantity", "The new count (reason absent: counted)."))})
}

fn adjustment_body() -> Value {
    json!({"type": "object", "required": ["adjustment", "reason"], "properties":
        stock_change_fields(("adjustment", "Units to add; negative takes away; not 0."))})
}

fn store_body() -> Value {
    json!({"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 100},
        "default_region_id": {"type": ["string", "null"], "description": "One of the store's regions; null: none."},
        "hosts": {"type": "array", "items": {"type": "string"}, "minItems": 1, "description":
            "The whole list of hostnames serving the store's pages (lower case, no port); one already serving another store is 409."}}})
}

fn synonyms_body() -> Value {
    json!({"type": "object", "required": ["synonyms"], "properties": {
        "synonyms": {"$ref": "#/components/schemas/SynonymGroups"}}})
}

fn region_body() -> Value {
    json!({"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 100},
        "currency_code": {"type": "string", "description": "When the region is made; fixed after (another is 400)."},
        "tax_rate": {"type": ["number", "string"], "description": "Percent, 0 to 100, two decimals at most: the region's one rate."},
        "is_tax_inclusive": {"type": "boolean", "description": "Whether catalog prices include the tax."},
        "countries": {"type": "array", "items": {"type": "string"}, "description":
            "Two-letter codes, the whole list; one another region of the store serves is 409."}}})
}

fn shipping_option_body() -> Value {
    json!({"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 100},
        "region_id": {"type": "string", "description": "The region offering it (required to make one; it stays there)."},
        "price_type": {"const": "flat"},
        "prices": {"type": "array", "items": {"type": "object", "properties": {
            "currency_code": {"type": "string", "description": "The region's."},
            "amount": {"type": ["number", "string"], "description": "Major units."},
            "rules": {"type": "array", "description":
                "None: the price. On a price of 0, `[{attribute: item_total, operator: gte, value}]`: free from that items' amount.",
                "items": {"type": "object", "properties": {
                    "attribute": {"const": "item_total"}, "operator": {"enum": ["gte", "gt"]},
                    "value": {"type": ["number", "string"]}}}}}}}}})
}

fn location_body() -> Value {
    json!({"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100,
                 "description": "Unique in the store, whatever the case."},
        "address": {"type": ["object", "null"], "description": "null: none. Otherwise address_1, city and a known country_code.",
            "properties": {
                "address_1": {"type": "string"}, "address_2": {"type": "string"},
                "city": {"type": "string"}, "postal_code": {"type": "string"},
                "province": {"type": "string"}, "country_code": {"type": "string"}}}}})
}

fn purchase_order_body() -> Value {
    json!({"type": "object", "properties": {
        "supplier_name": {"type": "string", "minLength": 1, "maxLength": 200},
        "supplier_contact": {"type": "string", "maxLength": 200},
        "location_id": {"type": "string", "description": "The stock location it delivers to."},
        "expected_on": {"type": "string", "description": "YYYY-MM-DD, or empty for none."},
        "notes": {"type": "string", "maxLength": 2000}}})
}

fn purchase_order_line_body() -> Value {
    json!({"type": "object", "required": ["variant", "quantity", "unit_cost"], "properties": {
        "variant": {"type": "string", "description": "The variant's SKU or id; one the draft has gets this quantity and cost."},
        "quantity": {"type": ["integer", "string"], "minimum": 1, "maximum": 1000000},
        "unit_cost": {"type": ["number", "string"], "description": "Major units of the purchase order's currency."}}})
}

fn receive_body() -> Value {
    json!({"type": "object", "required": ["key", "lines"], "properties": {
        "key": {"type": "string", "minLength": 1, "maxLength": 100, "description":
            "The delivery's key: the same key again changes nothing (409 delivery_in_progress while it is being received)."},
        "lines": {"type": "array", "items": open(&["variant_id", "quantity"], json!({
            "variant_id": {"type": "string"}, "quantity": {"type": "integer", "minimum": 0}}))},
        "confirm_over_receipt": {"type": "boolean", "description":
            "More than is still expected: 409 over_receipt until true."}}})
}

use Verb::{Get, Post};

/// Every operation of the admin API.
static OPERATIONS: &[Operation] = &[
    op(Post, "/auth/user/emailpass", "Sign in: a token for `Authorization: Bearer`", Some(sign_in_body), "Token"),
    op(Get, "/admin/users/me", "The signed-in member, their store and role", None, "UserResponse"),
    op(Get, "/admin/orders", "Orders, newest first (filters: status, payment, from, to, q; limit, offset)", None, "OrderList"),
    op(Get, "/admin/orders/{id}", "One order with its lines, ledger and parcels", None, "OrderResponse"),
    op(Post, "/admin/orders/{id}/fulfill", "Pack units in a parcel", Some(fulfill_body), "OrderResponse"),
    op(Post, "/admin/orders/{id}/fulfillments", "Pack units in a parcel (Medusa's path)", Some(fulfill_body), "OrderResponse"),
    op(Post, "/admin/orders/{id}/ship", "Ship a packed parcel", Some(ship_body), "OrderResponse"),
    op(Post, "/admin/orders/{id}/fulfillments/{fid}/shipments", "Ship a parcel (Medusa's path)", Some(shipment_body), "OrderResponse"),
    op(Post, "/admin/orders/{id}/deliver", "Mark a shipped order delivered", Some(action_body), "OrderResponse"),
    op(Post, "/admin/orders/{id}/cancel", "Cancel before anything left: the stock goes back, what was paid is refunded (then refund:write is needed too)", Some(action_body), "OrderResponse"),
    op(Post, "/admin/orders/{id}/refund", "Refund part or all of what was paid", Some(refund_body), "OrderResponse"),
    op(Post, "/admin/payments/{id}/refund", "Refund a payment (the order's capture in `transactions`)", Some(payment_refund_body), "PaymentResponse"),
    op(Get, "/admin/products", "Products, drafts too, the latest changed first (q, status; limit, offset)", None, "AdminProductList"),
    op(Post, "/admin/products", "Create a product (a draft until it has a variant); its own fields only", Some(product_body), "AdminProductResponse"),
    op(Get, "/admin/product-categories", "The category tree, every category (parent_category_id, rank among its siblings)", None, "CategoryList"),
    op(Post, "/admin/product-categories", "Add a category (last among its siblings); a taken handle is 409", Some(category_body), "CategoryResponse"),
    op(Get, "/admin/product-categories/{id}", "One category", None, "CategoryResponse"),
    op(Post, "/admin/product-categories/{id}", "Change a category; a new parent_category_id moves it there, last (never inside itself: 400)", Some(category_body), "CategoryResponse"),
    op(Verb::Delete, "/admin/product-categories/{id}", "Delete a category without subcategories (409 otherwise); its products stay", None, "Deleted"),
    op(Post, "/admin/product-categories/{id}/products", "Put products in the category or take them out", Some(link_body), "CategoryResponse"),
    op(Get, "/admin/collections", "The store's collections", None, "CollectionList"),
    op(Post, "/admin/collections", "Add a collection; a taken handle is 409", Some(collection_body), "CollectionResponse"),
    op(Get, "/admin/collections/{id}", "One collection", None, "CollectionResponse"),
    op(Post, "/admin/collections/{id}", "Change a collection (absent fields stay)", Some(collection_body), "CollectionResponse"),
    op(Verb::Delete, "/admin/collections/{id}", "Delete a collection; its products stay, in no collection", None, "Deleted"),
    op(Post, "/admin/collections/{id}/products", "Put products in the collection or take them out", Some(link_body), "CollectionResponse"),
    op(Get, "/admin/analytics/stats", "The store's daily figures from `from` to `to` (YYYY-MM-DD, UTC; default the last 30 days, at most 400): visitors, the funnel, revenue per currency, top products", None, "AnalyticsStats"),
    op(Get, "/admin/product-attributes", "The store's product attributes, in the order products show them", None, "AttributeList"),
    op(Post, "/admin/product-attributes", "Define an attribute (text, number, boolean or one of a list)", Some(attribute_body), "AttributeResponse"),
    op(Get, "/admin/product-attributes/{id}", "One attribute, with how many products have a value of it", None, "AttributeResponse"),
    op(Post, "/admin/product-attributes/{id}", "Change an attribute (absent fields stay); a new kind is refused while products have values (409)", Some(attribute_body), "AttributeResponse"),
    op(Verb::Delete, "/admin/product-attributes/{id}", "Delete an attribute; while products have a value, 409 unless ?confirm=true (their values go)", None, "Deleted"),
    op(Post, "/admin/products/{id}/attributes", "Set a product's attribute values", Some(values_body), "AttributeValues"),
    op(Post, "/admin/products/import", "Check a Shopify product CSV (multipart/form-data: `file`); nothing is written: Medusa's `{transaction_id, summary: {toCreate, toUpdate}}` with every row's problems", Some(import_body), "ImportChecked"),
    op(Get, "/admin/products/imports/{id}", "A catalog import: its dry run and, once confirmed, its progress (done of products) and outcome", None, "ImportResponse"),
    op(Post, "/admin/products/imports/{id}/confirm", "Start writing a checked import (202); the origin writes it in batches", None, "Accepted"),
    op(Get, "/admin/products/{id}", "One product with its variants and their stock", None, "AdminProductResponse"),
    op(Post, "/admin/products/{id}", "Change a product's own fields (absent ones stay)", Some(product_body), "AdminProductResponse"),
    op(Post, "/admin/products/{id}/variants", "Add a variant with a price in every currency of the store's regions and a value of each option (none two alike)", Some(variant_body), "AdminProductResponse"),
    op(Get, "/admin/products/{id}/variants/{variant_id}", "One variant with its prices and option values", None, "AdminVariantResponse"),
    op(Post, "/admin/products/{id}/variants/{variant_id}", "Change a variant's own fields and prices (absent ones stay; its option values stay)", Some(variant_body), "AdminProductResponse"),
    op(Verb::Delete, "/admin/products/{id}/variants/{variant_id}", "Remove a variant (409 while orders hold its stock, or for the last of a published product)", None, "DeletedWithParent"),
    op(Post, "/admin/products/{id}/generate-variants", "Make a variant for each combination of the options' values without one, at one price per currency", Some(generate_body), "AdminProductResponse"),
    op(Post, "/admin/products/{id}/images", "Upload an image (multipart/form-data: `image` file, JPEG, PNG or WebP up to 10 MB, type read from the bytes; `alt`)", Some(upload_body), "AdminProductResponse"),
    op(Post, "/admin/products/{id}/images/{image_id}", "Change an image's alt text", Some(alt_body), "AdminProductResponse"),
    op(Verb::Delete, "/admin/products/{id}/images/{image_id}", "Remove an image (the next one becomes the list image)", None, "Deleted"),
    op(Post, "/admin/products/{id}/options", "Add an option with its values; variants already there take its first value", Some(option_body), "AdminProductResponse"),
    op(Post, "/admin/products/{id}/options/{option_id}", "Rename an option; `values` is the whole list: values it no longer names are removed with the variants that use them", Some(option_body), "AdminProductResponse"),
    op(Verb::Delete, "/admin/products/{id}/options/{option_id}", "Remove an option that is down to one value (409 otherwise)", None, "DeletedWithParent"),
    op(Get, "/admin/inventory-items/{id}", "A variant's stock as an inventory item (the item's id is the variant's), with its levels at every location", None, "InventoryItemResponse"),
    op(Get, "/admin/inventory-items/{id}/location-levels", "A variant's levels at every location of the store (never stocked: 0)", None, "InventoryLevelList"),
    op(Post, "/admin/inventory-items/{id}/location-levels/{location_id}", "Set a count (written to the inventory ledger; with `version`, refused with 409 if the count moved since)", Some(level_body), "InventoryItemResponse"),
    op(Post, "/admin/inventory-items/{id}/location-levels/{location_id}/adjustments", "Move a count by a signed amount, with its reason", Some(adjustment_body), "InventoryItemResponse"),
    op(Get, "/admin/inventory-items/{id}/history", "The inventory ledger of a variant, newest first (limit, offset)", None, "InventoryLedger"),
    op(Get, "/admin/stock-locations", "The store's stock locations, in the order checkout holds stock from them", None, "StockLocationList"),
    op(Post, "/admin/stock-locations", "Add a stock location (held from last)", Some(name_body), "StockLocationResponse"),
    op(Get, "/admin/stock-locations/{id}", "One stock location", None, "StockLocationResponse"),
    op(Post, "/admin/stock-locations/{id}", "Rename a stock location or set its address (absent fields stay)", Some(location_body), "StockLocationResponse"),
    op(Get, "/admin/stores", "The caller's store (the only one it works in through this API)", None, "StoreList"),
    op(Get, "/admin/stores/{id}", "The caller's store; another store's id is 404", None, "StoreResponse"),
    op(Post, "/admin/stores/{id}", "Change the store's name, default region or hostnames (absent fields stay)", Some(store_body), "StoreResponse"),
    op(Get, "/admin/search/synonyms", "The store's search synonym groups, as written", None, "SynonymsResponse"),
    op(Post, "/admin/search/synonyms", "Replace the store's search synonym groups (the whole list; a bad group is 400 naming it)", Some(synonyms_body), "SynonymsResponse"),
    op(Get, "/admin/regions", "The store's regions with their tax rate and countries", None, "RegionList"),
    op(Post, "/admin/regions", "Add a region (its currency fixed from then on)", Some(region_body), "RegionResponse"),
    op(Get, "/admin/regions/{id}", "One region", None, "RegionResponse"),
    op(Post, "/admin/regions/{id}", "Change a region's name, tax rate, tax inclusion or countries (absent fields stay)", Some(region_body), "RegionResponse"),
    op(Get, "/admin/shipping-options", "The store's shipping options by region and rank (`region_id` narrows)", None, "ShippingOptionList"),
    op(Post, "/admin/shipping-options", "Add a shipping option to a region (offered last)", Some(shipping_option_body), "ShippingOptionResponse"),
    op(Get, "/admin/shipping-options/{id}", "One shipping option", None, "ShippingOptionResponse"),
    op(Post, "/admin/shipping-options/{id}", "Change a shipping option (absent fields stay)", Some(shipping_option_body), "ShippingOptionResponse"),
    op(Verb::Delete, "/admin/shipping-options/{id}", "Remove a shipping option; a region's last is 409", None, "Deleted"),
    op(Verb::Delete, "/admin/stock-locations/{id}", "Delete a stock location nothing is or was ever at (409 saying what is)", None, "Deleted"),
    op(Get, "/admin/invites", "Open invitations", None, "InviteList"),
    op(Post, "/admin/invites", "Invite someone (e-mailed; the token is answered once)", Some(invite_body), "InviteResponse"),
    op(Verb::Delete, "/admin/invites/{id}", "Withdraw an open invitation: its link stops working", None, "Deleted"),
    op(Get, "/admin/api-keys", "The store's secret API keys", None, "ApiKeyList"),
    op(Post, "/admin/api-keys", "Make a secret API key (the token is answered once)", Some(api_key_body), "ApiKeyResponse"),
    op(Post, "/admin/api-keys/{id}/revoke", "Revoke a key at once", None, "ApiKeyResponse"),
    op(Get, "/admin/webhooks", "The store's webhook endpoints and the topics they may ask for", None, "WebhookEndpointList"),
    op(Post, "/admin/webhooks", "Register a webhook endpoint (its whsec_ secret is answered once)", Some(webhook_body), "WebhookEndpointResponse"),
    op(Get, "/admin/webhooks/{id}", "An endpoint and its latest deliveries (?status=pending|delivered|dead, ?limit=1..200)", None, "WebhookDeliveryList"),
    op(Post, "/admin/webhooks/{id}", "Change an endpoint's URL, topics or description; pause it (status paused) or make it active again", Some(webhook_update_body), "WebhookEndpointResponse"),
    op(Verb::Delete, "/admin/webhooks/{id}", "Delete an endpoint and its deliveries", None, "Deleted"),
    op(Post, "/admin/webhooks/{id}/rotate-secret", "A new secret, answered once; the old one signs beside it for a day", None, "WebhookEndpointResponse"),
    op(Post, "/admin/webhooks/{id}/resend-failed", "Send every dead delivery of the endpoint again", None, "WebhookResent"),
    op(Post, "/admin/webhooks/{id}/deliveries/{delivery}/resend", "Send one delivery again", None, "WebhookResent"),
    op(Get, "/admin/purchase-orders", "Purchase orders, newest first (status; limit, offset), without their lines", None, "PurchaseOrderList"),
    op(Post, "/admin/purchase-orders", "Start a draft purchase order (in the store's currency)", Some(purchase_order_body), "PurchaseOrderResponse"),
    op(Get, "/admin/purchase-orders/{id}", "One purchase order with its lines", None, "PurchaseOrderResponse"),
    op(Post, "/admin/purchase-orders/{id}", "Change a draft's fields (absent ones stay); another status is 409", Some(purchase_order_body), "PurchaseOrderResponse"),
    op(Post, "/admin/purchase-orders/{id}/lines", "Add a line to a draft by SKU, or set a line's quantity and unit cost", Some(purchase_order_line_body), "PurchaseOrderResponse"),
    op(Verb::Delete, "/admin/purchase-orders/{id}/lines/{line_id}", "Take a line off a draft", None, "PurchaseOrderResponse"),
    op(Post, "/admin/purchase-orders/{id}/place", "Place a draft with lines: its units become incoming stock (409 from another status)", None, "PurchaseOrderResponse"),
    op(Post, "/admin/purchase-orders/{id}/cancel", "Cancel a draft, or a placed one nothing came in of (409 otherwise)", None, "PurchaseOrderResponse"),
    op(Post, "/admin/purchase-orders/{id}/receive", "Receive a delivery into the stock at its location, idempotent by its key", Some(receive_body), "PurchaseOrderResponse"),
    op(Get, "/admin/openapi.json", "This document", None, "OpenApi"),
];

/// `:name` segments as OpenAPI's `{name}`.
fn openapi_path(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| match s.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The route of the table an operation documents.
fn route_of(op: &Operation) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.verb == op.verb && !r.fallback && openapi_path(r.path) == op.path)
}

fn schemas() -> Value {
    let mut all = core_schemas();
    for more in [
        catalog_schemas(),
        settings_schemas(),
        purchase_order_schemas(),
        webhook_schemas(),
    ] {
        if let (Some(all), Value::Object(more)) = (all.as_object_mut(), more) {
            all.extend(more);
        }
    }
    all
}

/// The schemas of webhook endpoints and deliveries.
fn webhook_schemas() -> Value {
    json!({
        "WebhookEndpoint": open(&["id", "url", "topics", "status"], json!({
            "id": {"type": "string"}, "url": {"type": "string"}, "description": {"type": "string"},
            "topics": {"type": "array", "items": {"type": "string"}},
            "status": {"enum": ["active", "paused", "disabled"]},
            "disabled_reason": {"type": ["string", "null"]},
            "failing_since": {"type": ["string", "null"], "description": "A delivery died after the whole retry schedule."},
            "previous_secret_until": {"type": ["string", "null"]},
            "secret": {"type": "string", "description": "Only when the endpoint is made or its secret rotated."}})),
        "WebhookEndpointResponse": open(&["webhook_endpoint"], json!({
            "webhook_endpoint": {"$ref": "#/components/schemas/WebhookEndpoint"}})),
        "WebhookEndpointList": open(&["webhook_endpoints", "count", "topics"], json!({
            "webhook_endpoints": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookEndpoint"}},
            "count": {"type": "integer"}, "topics": {"type": "array", "items": {"type": "string"}}})),
        "WebhookDeliveryList": open(&["webhook_endpoint", "deliveries", "count"], json!({
            "webhook_endpoint": {"$ref": "#/components/schemas/WebhookEndpoint"},
            "deliveries": {"type": "array", "items": open(&["id", "event_id", "topic", "status", "attempts"], json!({
                "id": {"type": "integer"}, "event_id": {"type": "string"}, "topic": {"type": "string"},
                "sequence": {"type": "integer"}, "status": {"enum": ["pending", "delivered", "dead"]},
                "attempts": {"type": "integer"}, "last_response_status": {"type": ["integer", "null"]},
                "last_duration_ms": {"type": ["integer", "null"]}, "body": {"type": "object"}}))},
            "count": {"type": "integer"}})),
        "WebhookResent": open(&["resent"], json!({"resent": {"type": "integer"}}))
    })
}

/// The schemas of purchase orders.
fn purchase_order_schemas() -> Value {
    let statuses: Vec<&str> = commerce::purchase_order::PoStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let common = json!({
        "id": {"type": "string"}, "number": {"type": "integer"},
        "reference": {"type": "string", "description": "PO-<number>."},
        "supplier_name": {"type": "string"}, "location_id": {"type": "string"},
        "currency_code": {"type": "string"}, "expected_on": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": statuses},
        "ordered": {"type": "integer"}, "received": {"type": "integer"},
        "created_at": {"type": "string"}, "placed_at": {"type": ["string", "null"]},
        "received_at": {"type": ["string", "null"]}, "canceled_at": {"type": ["string", "null"]}});
    let mut full = common.clone();
    let mut summary = common;
    if let (Some(full), Some(summary)) = (full.as_object_mut(), summary.as_object_mut()) {
        full.extend(
            json!({
                "supplier_contact": {"type": "string"}, "notes": {"type": "string"},
                "total": {"type": "number", "description": "Major units."},
                "lines": {"type": "array", "items": open(&["id", "variant_id", "quantity", "unit_cost", "received"], json!({
                    "id": {"type": "string"}, "variant_id": {"type": "string"},
                    "sku": {"type": ["string", "null"]}, "title": {"type": "string"},
                    "quantity": {"type": "integer"},
                    "unit_cost": {"type": "number", "description": "Major units."},
                    "received": {"type": "integer"}}))}})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        summary.insert("line_count".to_owned(), json!({"type": "integer"}));
    }
    json!({
        "PurchaseOrder": open(&["id", "number", "status", "lines"], full),
        "PurchaseOrderSummary": open(&["id", "number", "status"], summary),
        "PurchaseOrderResponse": open(&["purchase_order"], json!({
            "purchase_order": {"$ref": "#/components/schemas/PurchaseOrder"}})),
        "PurchaseOrderList": open(&["purchase_orders", "count", "offset", "limit"], json!({
            "purchase_orders": {"type": "array", "items": {"$ref": "#/components/schemas/PurchaseOrderSummary"}},
            "count": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}})),
    })
}

/// A stock location's address (Medusa's), or none.
fn address_schema() -> Value {
    json!({"type": ["object", "null"], "properties": {
        "address_1": {"type": "string"}, "address_2": {"type": ["string", "null"]},
        "city": {"type": "string"}, "postal_code": {"type": ["string", "null"]},
        "province": {"type": ["string", "null"]}, "country_code": {"type": "string"}}})
}

/// The schemas of a store's settings: the store, its regions, its shipping options.
fn settings_schemas() -> Value {
    json!({
        "Store": open(&["id", "name", "supported_currencies", "hosts"], json!({
            "id": {"type": "string"}, "name": {"type": "string"},
            "supported_currencies": {"type": "array", "items": open(&["currency_code", "is_default"], json!({
                "currency_code": {"type": "string"}, "is_default": {"type": "boolean"}}))},
            "default_region_id": {"type": ["string", "null"]},
            "hosts": {"type": "array", "items": {"type": "string"}}})),
        "StoreResponse": open(&["store"], json!({"store": {"$ref": "#/components/schemas/Store"}})),
        "SynonymGroups": {"type": "array", "maxItems": 200, "description":
            "Groups of terms a search treats as one (\"tee\", \"t-shirt\"): case, accents and hyphens do not matter.",
            "items": {"type": "array", "minItems": 2, "maxItems": 20,
                      "items": {"type": "string", "minLength": 1, "maxLength": 60}}},
        "SynonymsResponse": open(&["synonyms"], json!({"synonyms": {"$ref": "#/components/schemas/SynonymGroups"}})),
        "StoreList": open(&["stores", "count"], json!({
            "stores": {"type": "array", "items": {"$ref": "#/components/schemas/Store"}},
            "count": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}})),
        "Region": open(&["id", "name", "currency_code", "tax_rate", "is_tax_inclusive", "countries"], json!({
            "id": {"type": "string"}, "name": {"type": "string"}, "currency_code": {"type": "string"},
            "tax_rate": {"type": "number", "description": "Percent."},
            "is_tax_inclusive": {"type": "boolean"}, "automatic_taxes": {"type": "boolean"},
            "countries": {"type": "array", "items": open(&["iso_2"], json!({
                "iso_2": {"type": "string"}, "iso_3": {"type": "string"}, "name": {"type": "string"},
                "display_name": {"type": "string"}}))}})),
        "RegionResponse": open(&["region"], json!({"region": {"$ref": "#/components/schemas/Region"}})),
        "RegionList": open(&["regions", "count"], json!({
            "regions": {"type": "array", "items": {"$ref": "#/components/schemas/Region"}},
            "count": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}})),
        "ShippingOption": open(&["id", "name", "price_type", "region_id", "rank", "prices"], json!({
            "id": {"type": "string"}, "name": {"type": "string"}, "price_type": {"const": "flat"},
            "region_id": {"type": "string"}, "rank": {"type": "integer"},
            "prices": {"type": "array", "items": open(&["currency_code", "amount"], json!({
                "currency_code": {"type": "string"}, "amount": {"type": "number", "description": "Major units."},
                "price_rules": {"type": "array"}}))}})),
        "ShippingOptionResponse": open(&["shipping_option"], json!({
            "shipping_option": {"$ref": "#/components/schemas/ShippingOption"}})),
        "ShippingOptionList": open(&["shipping_options", "count"], json!({
            "shipping_options": {"type": "array", "items": {"$ref": "#/components/schemas/ShippingOption"}},
            "count": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}})),
    })
}

/// The schemas of the category tree and the collections.
fn catalog_schemas() -> Value {
    json!({
        "Category": open(&["id", "name", "handle", "rank"], json!({
            "id": {"type": "string"}, "name": {"type": "string"}, "handle": {"type": "string"},
            "description": {"type": "string"}, "is_active": {"type": "boolean"},
            "rank": {"type": "integer"}, "parent_category_id": {"type": ["string", "null"]}})),
        "CategoryResponse": open(&["product_category"], json!({
            "product_category": {"$ref": "#/components/schemas/Category"}})),
        "CategoryList": open(&["product_categories", "count"], json!({
            "product_categories": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}},
            "count": {"type": "integer"}})),
        "Collection": open(&["id", "title", "handle"], json!({
            "id": {"type": "string"}, "title": {"type": "string"}, "handle": {"type": "string"}})),
        "CollectionResponse": open(&["collection"], json!({
            "collection": {"$ref": "#/components/schemas/Collection"}})),
        "CollectionList": open(&["collections", "count"], json!({
            "collections": {"type": "array", "items": {"$ref": "#/components/schemas/Collection"}},
            "count": {"type": "integer"}})),
        "AnalyticsStats": open(&["from", "to", "days", "totals", "funnel"], json!({
            "from": {"type": "string"}, "to": {"type": "string"},
            "days": {"type": "array", "items": {"type": "object"}},
            "totals": {"type": "object"}, "funnel": {"type": "array", "items": {"type": "object"}},
            "top_by_views": {"type": "array"}, "top_by_adds": {"type": "array"},
            "top_by_revenue": {"type": "array"}, "revenue_currency": {"type": "string"}})),
        "Attribute": open(&["id", "key", "label", "kind", "choices", "filterable", "product_count"], json!({
            "id": {"type": "string"}, "key": {"type": "string"}, "label": {"type": "string"},
            "kind": {"type": "string", "enum": ["text", "number", "boolean", "choice"]},
            "choices": {"type": "array", "items": {"type": "string"}},
            "filterable": {"type": "boolean"}, "product_count": {"type": "integer"}})),
        "AttributeResponse": open(&["product_attribute"], json!({
            "product_attribute": {"$ref": "#/components/schemas/Attribute"}})),
        "AttributeList": open(&["product_attributes", "count"], json!({
            "product_attributes": {"type": "array", "items": {"$ref": "#/components/schemas/Attribute"}},
            "count": {"type": "integer"}})),
        "AttributeValues": open(&["product_id", "attributes"], json!({
            "product_id": {"type": "string"}, "attributes": {"type": "object"}})),
        "DeletedWithParent": open(&["id", "object", "deleted", "parent"], json!({
            "id": {"type": "string"}, "object": {"type": "string"}, "deleted": {"type": "boolean"},
            "parent": {"$ref": "#/components/schemas/AdminProduct"}})),
        "AdminProductResponse": open(&["product"], json!({
            "product": {"$ref": "#/components/schemas/AdminProduct"}})),
        "AdminProductList": open(&["products", "count", "offset", "limit"], json!({
            "products": {"type": "array", "items": {"$ref": "#/components/schemas/AdminProduct"}},
            "count": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}})),
    })
}

fn core_schemas() -> Value {
    let roles: Vec<&str> = commerce::staff::Role::ALL
        .iter()
        .map(|r| r.as_str())
        .collect();
    json!({
        "Role": {"type": "string", "enum": roles},
        "ItemQuantity": open(&["id", "quantity"], json!({
            "id": {"type": "string", "description": "The order line (`ordli_...`)."},
            "quantity": {"type": "integer", "minimum": 0}})),
        "Token": open(&["token"], json!({"token": {"type": "string"}})),
        "UserResponse": open(&["user"], json!({"user": open(&["id", "email", "store_id", "role"], json!({
            "id": {"type": "string"}, "email": {"type": "string"}, "store_id": {"type": "string"},
            "role": {"$ref": "#/components/schemas/Role"}}))})),
        "Order": open(&["id", "display_id", "status", "payment_status", "fulfillment_status"], json!({
            "id": {"type": "string"}, "display_id": {"type": "integer"},
            "status": {"type": "string"}, "payment_status": {"type": "string"},
            "fulfillment_status": {"type": "string", "enum": ["not_fulfilled", "partially_fulfilled",
                "fulfilled", "partially_shipped", "shipped", "delivered", "canceled"]},
            "items": {"type": "array"}, "transactions": {"type": "array"},
            "fulfillments": {"type": "array"},
            "metadata": {"type": "object", "description": "`status`: the order's own status."}})),
        "OrderResponse": open(&["order"], json!({"order": {"$ref": "#/components/schemas/Order"}})),
        "OrderList": open(&["orders", "count", "offset", "limit"], json!({
            "orders": {"type": "array", "items": {"type": "object"}},
            "count": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}})),
        "PaymentResponse": open(&["payment"], json!({"payment": open(&["id", "amount", "refunds"], json!({
            "id": {"type": "string"}, "amount": {"type": "number"}, "refunds": {"type": "array"}}))})),
        "Invite": open(&["id", "email", "role"], json!({
            "id": {"type": "string"}, "email": {"type": "string"}, "accepted": {"type": "boolean"},
            "role": {"$ref": "#/components/schemas/Role"}, "token": {"type": "string"},
            "expires_at": {"type": "string", "format": "date-time"}})),
        "InviteResponse": open(&["invite"], json!({"invite": {"$ref": "#/components/schemas/Invite"}})),
        "InviteList": open(&["invites", "count"], json!({
            "invites": {"type": "array", "items": {"$ref": "#/components/schemas/Invite"}},
            "count": {"type": "integer"}})),
        "ApiKey": open(&["id", "title", "redacted", "type", "role"], json!({
            "id": {"type": "string"}, "title": {"type": "string"}, "redacted": {"type": "string"},
            "token": {"type": "string", "description": "Only when the key is made."},
            "type": {"const": "secret"}, "role": {"$ref": "#/components/schemas/Role"},
            "last_used_at": {"type": ["string", "null"]}, "revoked_at": {"type": ["string", "null"]}})),
        "ApiKeyResponse": open(&["api_key"], json!({"api_key": {"$ref": "#/components/schemas/ApiKey"}})),
        "ApiKeyList": open(&["api_keys", "count"], json!({
            "api_keys": {"type": "array", "items": {"$ref": "#/components/schemas/ApiKey"}},
            "count": {"type": "integer"}})),
        "InventoryLevel": open(&["id", "inventory_item_id", "location_id", "stocked_quantity",
                "reserved_quantity", "available_quantity", "version"], json!({
            "id": {"type": "string"}, "inventory_item_id": {"type": "string"},
            "location_id": {"type": "string"}, "location_name": {"type": "string"},
            "stocked_quantity": {"type": "integer"}, "reserved_quantity": {"type": "integer"},
            "incoming_quantity": {"type": "integer"}, "available_quantity": {"type": "integer"},
            "version": {"type": "integer", "description": "Moves whenever the count changes."}})),
        "InventoryItemResponse": open(&["inventory_item"], json!({"inventory_item": open(
            &["id", "location_levels"], json!({
                "id": {"type": "string"}, "sku": {"type": ["string", "null"]},
                "title": {"type": "string"},
                "stocked_quantity": {"type": "integer"}, "reserved_quantity": {"type": "integer"},
                "location_levels": {"type": "array",
                    "items": {"$ref": "#/components/schemas/InventoryLevel"}}}))})),
        "InventoryLevelList": open(&["inventory_levels", "count"], json!({
            "inventory_levels": {"type": "array", "items": {"$ref": "#/components/schemas/InventoryLevel"}},
            "count": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}})),
        "InventoryLedger": open(&["entries", "count"], json!({
            "entries": {"type": "array", "items": open(&["id", "location_id", "reason",
                    "stocked_before", "stocked_after", "delta"], json!({
                "id": {"type": "integer"}, "location_id": {"type": "string"},
                "reason": {"type": "string"}, "note": {"type": "string"},
                "stocked_before": {"type": "integer"}, "stocked_after": {"type": "integer"},
                "delta": {"type": "integer"}, "by": {"type": ["string", "null"]},
                "api_key": {"type": ["string", "null"]},
                "created_at": {"type": "string", "format": "date-time"}}))},
            "count": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}})),
        "AdminProduct": open(&["id", "title", "handle", "status"], json!({
            "id": {"type": "string"}, "title": {"type": "string"}, "handle": {"type": "string"},
            "subtitle": {"type": ["string", "null"]}, "description": {"type": "string"},
            "educational_content": {"type": "string"},
            "status": {"type": "string", "enum": ["draft", "published", "archived"]},
            "thumbnail": {"type": ["string", "null"]},
            "attributes": {"type": "object", "description": "Attribute values by key."},
            "images": {"type": "array", "items": open(&["id", "url", "rank"], json!({
                "id": {"type": "string"}, "url": {"type": "string"}, "rank": {"type": "integer"},
                "alt": {"type": "string"}, "width": {"type": "integer"}, "height": {"type": "integer"}}))},
            "options": {"type": "array", "items": open(&["id", "title", "values"], json!({
                "id": {"type": "string"}, "title": {"type": "string"},
                "values": {"type": "array", "items": {"$ref": "#/components/schemas/AdminOptionValue"}}}))},
            "variants": {"type": "array", "items": {"$ref": "#/components/schemas/AdminVariant"}},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"}})),
        "AdminOptionValue": open(&["id", "value", "option_id"], json!({
            "id": {"type": "string"}, "value": {"type": "string"}, "option_id": {"type": "string"}})),
        "AdminVariant": open(&["id", "title", "prices", "options"], json!({
            "id": {"type": "string"}, "title": {"type": "string"}, "sku": {"type": ["string", "null"]},
            "barcode": {"type": ["string", "null"]},
            "product_id": {"type": "string"}, "manage_inventory": {"type": "boolean"},
            "allow_backorder": {"type": "boolean"}, "weight": {"type": ["integer", "null"]},
            "inventory_quantity": {"type": "integer"},
            "prices": {"type": "array", "items": open(&["currency_code", "amount"], json!({
                "currency_code": {"type": "string"}, "amount": {"type": "number"}}))},
            "options": {"type": "array", "items": {"$ref": "#/components/schemas/AdminOptionValue"}}})),
        "AdminVariantResponse": open(&["variant"], json!({
            "variant": {"$ref": "#/components/schemas/AdminVariant"}})),
        "ImportChecked": open(&["transaction_id", "summary"], json!({
            "transaction_id": {"type": "string"},
            "summary": open(&["toCreate", "toUpdate"], json!({
                "toCreate": {"type": "integer"}, "toUpdate": {"type": "integer"}})),
            "refused_rows": {"type": "integer"},
            "problems": {"type": "array", "items": {"$ref": "#/components/schemas/ImportProblem"}}})),
        "ImportProblem": open(&["row", "column", "message"], json!({
            "row": {"type": "integer", "description": "As a spreadsheet numbers it: the header is row 1."},
            "column": {"type": "string"}, "message": {"type": "string"}})),
        "ImportResponse": import_schema(),
        "Accepted": {"type": "object"},
        "StockLocation": open(&["id", "name", "rank"], json!({
            "id": {"type": "string"}, "name": {"type": "string"},
            "rank": {"type": "integer", "description": "Checkout holds stock from the lowest first."},
            "stocked_quantity": {"type": "integer"},
            "address": address_schema(),
            "created_at": {"type": "string", "format": "date-time"}})),
        "StockLocationResponse": open(&["stock_location"], json!({
            "stock_location": {"$ref": "#/components/schemas/StockLocation"}})),
        "StockLocationList": open(&["stock_locations", "count"], json!({
            "stock_locations": {"type": "array", "items": {"$ref": "#/components/schemas/StockLocation"}},
            "count": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}})),
        "Deleted": open(&["id", "object", "deleted"], json!({
            "id": {"type": "string"}, "object": {"type": "string"}, "deleted": {"type": "boolean"}})),
        "OpenApi": {"type": "object"},
        "Error": open(&["type", "message"], json!({
            "type": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}})),
    })
}

/// The document, for a Worker at `server`.
pub fn document(server: &str) -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let Some(route) = route_of(op) else {
            continue;
        };
        let permission = match route.access {
            Access::Staff(p) => Some(p),
            _ => None,
        };
        let parameters: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix(':'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let error = |text: &str| {
            json!({"description": text, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}})
        };
        // Work started but not done (an import confirmed) answers 202.
        let ok = if op.answer == "Accepted" {
            "202"
        } else {
            "200"
        };
        let mut responses = json!({
            ok: {"description": "OK", "content": {"application/json": {
                "schema": {"$ref": format!("#/components/schemas/{}", op.answer)}}}},
            "400": error("Invalid input; `message` says which field and why."),
            "429": error("Too many requests; see Retry-After."),
        });
        if let Some(p) = permission {
            responses["401"] = error("No live session, token or key.");
            responses["403"] = error(&format!("The role does not grant {p}."));
            responses["404"] = error("Not found in the caller's store.");
            responses["409"] =
                error("Refused by the state of what it changes (an order's status, a count that moved or is held by orders); `message` says why.");
        } else {
            responses["401"] = error("Invalid e-mail or password (one answer for both).");
        }
        let mut operation = json!({
            "summary": op.summary,
            "parameters": parameters,
            "responses": responses,
        });
        match permission {
            Some(p) => {
                operation["x-permission"] = json!(p.as_str());
                operation["security"] =
                    json!([{"bearer": []}, {"apiKeyBasic": []}, {"session": []}]);
                if p.is_personal() {
                    operation["description"] = json!("People only: API keys are refused (403).");
                }
            }
            None => operation["security"] = json!([]),
        }
        if let Some(body) = op.body {
            let schema = body();
            // A body with a binary field is an upload: a multipart form.
            let uploads = schema["properties"]
                .as_object()
                .is_some_and(|p| p.values().any(|f| f["format"] == "binary"));
            let media = if uploads {
                "multipart/form-data"
            } else {
                "application/json"
            };
            operation["requestBody"] = json!({"content": {media: {"schema": schema}}});
        }
        let method = match op.verb {
            Verb::Post => "post",
            Verb::Delete => "delete",
            _ => "get",
        };
        let entry = paths
            .entry(op.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Store admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The admin API of a store, in Medusa v2's Admin API paths and shapes where Medusa has them. Each operation names the permission it needs (`x-permission`); a member's role, or an API key's, must grant it.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description":
                    "A token from POST /auth/user/emailpass (a day at most, two idle hours), or a secret API key (`sk_...`)."},
                "apiKeyBasic": {"type": "http", "scheme": "basic", "description":
                    "Medusa's form of a secret API key: the key as the user name, no password."},
                "session": {"type": "apiKey", "in": "cookie", "name": "__Host-staff_session",
                    "description": "The admin pages' session."},
            },
        },
    })
}

/// `GET /admin/openapi.json`
pub async fn serve(cx: &mut crate::context::Cx) -> Result<worker::Response, commerce::ApiError> {
    super::api_json(&document(&cx.site_origin()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Admin routes that answer browsers only (pages and their forms).
    const PAGES_ONLY: &[&str] = &[
        "/admin",
        "/admin/store",
        "/admin/staff",
        "/admin/roles",
        "/admin/roles/:id",
        "/admin/roles/:id/delete",
        "/admin/invites/:id/delete",
        "/admin/webhooks/:id/delete",
        "/admin/staff/:user/role",
        "/admin/staff/:user/remove",
        "/admin/account/sessions",
        "/admin/account/sessions/revoke",
        "/admin/audit",
        "/admin/stock",
        "/admin/stock/:variant",
        "/admin/stock/:variant/:location",
        "/admin/products/new",
        "/admin/products/import",
        "/admin/products/:id/organize",
        "/admin/product-categories/:id/move",
        "/admin/product-categories/:id/delete",
        "/admin/collections/:id/delete",
        "/admin/product-attributes/:id/delete",
        "/admin/analytics",
        "/admin/analytics.csv",
        "/admin/products/export.csv",
        "/admin/products/:id/variants/:variant_id/delete",
        "/admin/products/:id/options/:option_id/delete",
        "/admin/products/:id/images/:image_id/move",
        "/admin/products/:id/images/:image_id/delete",
        "/admin/stock-locations/:id/move",
        "/admin/stock-locations/:id/delete",
        "/admin/settings",
        "/admin/settings/hosts",
        "/admin/settings/hosts/delete",
        "/admin/settings/synonyms",
        "/admin/shipping-options/:id/move",
        "/admin/shipping-options/:id/delete",
        "/admin/purchase-orders/:id/lines/:line_id/delete",
    ];

    #[test]
    fn every_documented_operation_is_a_route() {
        for op in OPERATIONS {
            assert!(
                route_of(op).is_some(),
                "{} is not in the routing table",
                op.path
            );
        }
    }

    #[test]
    fn every_admin_route_is_documented_or_a_page() {
        for route in ROUTES {
            let Access::Staff(_) = route.access else {
                continue;
            };
            if route.fallback || PAGES_ONLY.contains(&route.path) {
                continue;
            }
            let path = openapi_path(route.path);
            assert!(
                OPERATIONS
                    .iter()
                    .any(|op| op.verb == route.verb && op.path == path),
                "{} is neither documented nor a page",
                route.path
            );
        }
    }

    #[test]
    fn the_document_carries_each_routes_permission_and_its_references_resolve() {
        let doc = document("https://shop.example");
        let refund = &doc["paths"]["/admin/orders/{id}/refund"]["post"];
        assert_eq!(refund["x-permission"], "refund:write");
        assert_eq!(refund["parameters"][0]["name"], "id");
        assert_eq!(
            doc["paths"]["/admin/api-keys"]["post"]["x-permission"],
            "api_key:write"
        );
        assert_eq!(
            doc["paths"]["/auth/user/emailpass"]["post"]["security"],
            json!([])
        );
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(
                schemas.contains_key(&name),
                "{name} is referred to but not defined"
            );
        }
    }
}
