-- 0001: stores, regions and the catalog.
--
-- Every business row carries store_id. Child tables reference their parent through
-- (store_id, id) so that a row can never point at another store's data: isolation is
-- enforced by the schema, not only by the queries.
-- Money is integer minor units (cents for eur/usd/gbp) beside an ISO 4217 code.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Timestamps in the Store API's form: ISO 8601, UTC, millisecond precision.
CREATE FUNCTION api_ts(ts timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

CREATE TABLE stores (
    id                    text PRIMARY KEY,
    name                  text NOT NULL,
    -- The key storefronts send as x-publishable-api-key. Public by design: it selects
    -- the store, it does not authorise anything beyond reading the published catalog.
    publishable_key       text NOT NULL UNIQUE,
    default_currency_code text NOT NULL CHECK (default_currency_code ~ '^[a-z]{3}$'),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- The hostnames whose requests are served by a store (storefront pages choose the
-- store from the Host header). Lower case, without port.
CREATE TABLE store_hosts (
    hostname text PRIMARY KEY CHECK (hostname = lower(hostname) AND hostname !~ ':'),
    store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE
);
CREATE INDEX store_hosts_store_idx ON store_hosts (store_id);

-- Reference data: the countries a region may group.
CREATE TABLE countries (
    iso_2        text PRIMARY KEY CHECK (iso_2 ~ '^[a-z]{2}$'),
    iso_3        text NOT NULL UNIQUE CHECK (iso_3 ~ '^[a-z]{3}$'),
    num_code     integer NOT NULL,
    name         text NOT NULL,
    display_name text NOT NULL
);

CREATE TABLE regions (
    id            text PRIMARY KEY,
    store_id      text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    name          text NOT NULL,
    currency_code text NOT NULL CHECK (currency_code ~ '^[a-z]{3}$'),
    -- Sales tax / VAT rate in basis points: 2000 = 20.00 %.
    tax_rate_bp   integer NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    -- True when catalog prices in this region already include tax (EU-style gross
    -- prices); false when tax is added on top at checkout (US-style net prices).
    tax_inclusive boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, id)
);

-- A country is served by at most one region of a store.
CREATE TABLE region_countries (
    store_id  text NOT NULL,
    region_id text NOT NULL,
    iso_2     text NOT NULL REFERENCES countries (iso_2),
    PRIMARY KEY (store_id, iso_2),
    FOREIGN KEY (store_id, region_id) REFERENCES regions (store_id, id) ON DELETE CASCADE
);
CREATE INDEX region_countries_region_idx ON region_countries (region_id);

CREATE TABLE product_collections (
    id         text PRIMARY KEY,
    store_id   text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    title      text NOT NULL,
    handle     text NOT NULL,
    -- Collections shown on the storefront's home page.
    featured   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, id),
    UNIQUE (store_id, handle)
);

-- Categories form a tree per store; parent_id is NULL for top-level categories.
CREATE TABLE product_categories (
    id          text PRIMARY KEY,
    store_id    text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    parent_id   text,
    name        text NOT NULL,
    handle      text NOT NULL,
    description text NOT NULL DEFAULT '',
    -- Position among its siblings, 0 first.
    rank        integer NOT NULL DEFAULT 0,
    -- Inactive categories are hidden from the storefront but keep their products.
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, id),
    UNIQUE (store_id, handle),
    CHECK (parent_id IS DISTINCT FROM id),
    FOREIGN KEY (store_id, parent_id) REFERENCES product_categories (store_id, id) ON DELETE CASCADE
);
CREATE INDEX product_categories_parent_idx ON product_categories (store_id, parent_id, rank);

CREATE TABLE products (
    id            text PRIMARY KEY,
    store_id      text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    handle        text NOT NULL CHECK (handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title         text NOT NULL,
    subtitle      text,
    description   text NOT NULL DEFAULT '',
    -- Only published products are visible to shoppers and the Store API.
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    -- R2 key of the list image (usually the first product image).
    thumbnail_key text,
    collection_id text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    search_text   text GENERATED ALWAYS AS (lower(title || ' ' || coalesce(subtitle, '') || ' ' || handle)) STORED,
    UNIQUE (store_id, id),
    UNIQUE (store_id, handle),
    FOREIGN KEY (store_id, collection_id) REFERENCES product_collections (store_id, id) ON DELETE SET NULL (collection_id)
);
CREATE INDEX products_list_created_idx ON products (store_id, status, created_at DESC, id);
CREATE INDEX products_list_title_idx ON products (store_id, status, title, id);
CREATE INDEX products_collection_idx ON products (store_id, collection_id);
CREATE INDEX products_search_idx ON products USING gin (search_text gin_trgm_ops);

CREATE TABLE product_category_products (
    store_id    text NOT NULL,
    category_id text NOT NULL,
    product_id  text NOT NULL,
    PRIMARY KEY (category_id, product_id),
    FOREIGN KEY (store_id, category_id) REFERENCES product_categories (store_id, id) ON DELETE CASCADE,
    FOREIGN KEY (store_id, product_id) REFERENCES products (store_id, id) ON DELETE CASCADE
);
CREATE INDEX product_category_products_product_idx ON product_category_products (product_id);

-- Option axes of a product (Size, Colour) and the values each axis offers.
CREATE TABLE product_options (
    id         text PRIMARY KEY,
    store_id   text NOT NULL,
    product_id text NOT NULL,
    title      text NOT NULL,
    rank       integer NOT NULL DEFAULT 0,
    UNIQUE (store_id, id),
    UNIQUE (product_id, title),
    FOREIGN KEY (store_id, product_id) REFERENCES products (store_id, id) ON DELETE CASCADE
);

CREATE TABLE product_option_values (
    id        text PRIMARY KEY,
    store_id  text NOT NULL,
    option_id text NOT NULL,
    value     text NOT NULL,
    rank      integer NOT NULL DEFAULT 0,
    UNIQUE (store_id, id),
    UNIQUE (option_id, value),
    FOREIGN KEY (store_id, option_id) REFERENCES product_options (store_id, id) ON DELETE CASCADE
);

-- The sellable unit: one combination of option values.
CREATE TABLE product_variants (
    id               text PRIMARY KEY,
    store_id         text NOT NULL,
    product_id       text NOT NULL,
    title            text NOT NULL,
    sku              text,
    weight_g         integer CHECK (weight_g >= 0),
    -- When false the variant is always available (digital goods, made to order) and
    -- no stock is reserved for it.
    manage_inventory boolean NOT NULL DEFAULT true,
    -- When true the variant may be sold beyond its stock (orders wait for restock).
    allow_backorder  boolean NOT NULL DEFAULT false,
    rank             integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, id),
    UNIQUE (store_id, sku),
    FOREIGN KEY (store_id, product_id) REFERENCES products (store_id, id) ON DELETE CASCADE
);
CREATE INDEX product_variants_product_idx ON product_variants (product_id, rank);

CREATE TABLE product_variant_option_values (
    store_id        text NOT NULL,
    variant_id      text NOT NULL,
    option_value_id text NOT NULL,
    PRIMARY KEY (variant_id, option_value_id),
    FOREIGN KEY (store_id, variant_id) REFERENCES product_variants (store_id, id) ON DELETE CASCADE,
    FOREIGN KEY (store_id, option_value_id) REFERENCES product_option_values (store_id, id) ON DELETE CASCADE
);

-- One price per variant per currency, in minor units of that currency.
CREATE TABLE variant_prices (
    id            text PRIMARY KEY,
    store_id      text NOT NULL,
    variant_id    text NOT NULL,
    currency_code text NOT NULL CHECK (currency_code ~ '^[a-z]{3}$'),
    amount        bigint NOT NULL CHECK (amount >= 0),
    UNIQUE (variant_id, currency_code),
    FOREIGN KEY (store_id, variant_id) REFERENCES product_variants (store_id, id) ON DELETE CASCADE
);

CREATE TABLE product_images (
    id         text PRIMARY KEY,
    store_id   text NOT NULL,
    product_id text NOT NULL,
    -- Object key in the assets R2 bucket, served under /images/<r2_key>.
    r2_key     text NOT NULL,
    alt        text NOT NULL,
    rank       integer NOT NULL DEFAULT 0,
    width      integer NOT NULL CHECK (width > 0),
    height     integer NOT NULL CHECK (height > 0),
    FOREIGN KEY (store_id, product_id) REFERENCES products (store_id, id) ON DELETE CASCADE
);
CREATE INDEX product_images_product_idx ON product_images (product_id, rank);

CREATE TABLE stock_locations (
    id         text PRIMARY KEY,
    store_id   text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, id)
);

-- Stock of a variant at one location. `stocked` is what is physically there;
-- `reserved` is promised to orders not yet shipped. Available = stocked - reserved.
-- Every change is an atomic conditional UPDATE inside a transaction.
CREATE TABLE inventory_levels (
    store_id    text NOT NULL,
    variant_id  text NOT NULL,
    location_id text NOT NULL,
    stocked     integer NOT NULL DEFAULT 0 CHECK (stocked >= 0),
    reserved    integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (variant_id, location_id),
    FOREIGN KEY (store_id, variant_id) REFERENCES product_variants (store_id, id) ON DELETE CASCADE,
    FOREIGN KEY (store_id, location_id) REFERENCES stock_locations (store_id, id) ON DELETE CASCADE
);
