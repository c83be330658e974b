-- 0006: the catalog's read path, kept ready by the catalog's writes, and independent of
-- the catalog's size.
--
-- A product with its options, variants, prices and images was a dozen correlated
-- subqueries per product on every read: about 11 ms of PostgreSQL for a page of 20,
-- whatever the plan cache did. `product_docs` keeps each product's document (every
-- currency's prices; no stock, which changes with every order), rebuilt by
-- statement-level triggers in the same transaction as any change of what it shows, the
-- same set of tables that bumps `stores.catalog_version`. A read takes the page's
-- documents and their variants' live stock: a few index lookups.
--
-- The exact `count` of a store's unfiltered product list was a scan of all its
-- published products on each request; `store_catalog_counts` keeps it, in the same
-- transaction as every change of a product's store or status.

-- One product as the catalog's readers take it (`commerce::catalog::product::Document`):
-- its columns, collection, active categories, options with values, variants with their
-- option values and their price in each currency, and images, each list in rank order.
CREATE FUNCTION product_document(p products) RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN json_build_object(
        'id', p.id, 'handle', p.handle, 'title', p.title, 'subtitle', p.subtitle,
        'description', p.description, 'status', p.status, 'thumbnail_key', p.thumbnail_key,
        'created_at', api_ts(p.created_at), 'updated_at', api_ts(p.updated_at),
        'collection', (SELECT json_build_object('id', col.id, 'title', col.title, 'handle', col.handle)
                       FROM product_collections col WHERE col.id = p.collection_id),
        'categories', coalesce((
            SELECT json_agg(json_build_object('id', c.id, 'name', c.name, 'handle', c.handle,
                                              'parent_category_id', c.parent_id) ORDER BY c.rank, c.id)
            FROM product_category_products pc
            JOIN product_categories c ON c.id = pc.category_id AND c.is_active
            WHERE pc.product_id = p.id), '[]'::json),
        'options', coalesce((
            SELECT json_agg(json_build_object('id', o.id, 'title', o.title,
                       'values', coalesce((
                           SELECT json_agg(json_build_object('id', ov.id, 'value', ov.value,
                                                             'option_id', ov.option_id) ORDER BY ov.rank, ov.id)
                           FROM product_option_values ov WHERE ov.option_id = o.id), '[]'::json))
                   ORDER BY o.rank, o.id)
            FROM product_options o WHERE o.product_id = p.id), '[]'::json),
        'variants', coalesce((
            SELECT json_agg(json_build_object('id', v.id, 'title', v.title, 'sku', v.sku,
                       'weight_g', v.weight_g, 'manage_inventory', v.manage_inventory,
                       'allow_backorder', v.allow_backorder, 'rank', v.rank,
                       'created_at', api_ts(v.created_at), 'updated_at', api_ts(v.updated_at),
                       'options', coalesce((
                           SELECT json_agg(json_build_object('id', ov.id, 'value', ov.value,
                                                             'option_id', ov.option_id) ORDER BY o.rank, o.id)
                           FROM product_variant_option_values vov
                           JOIN product_option_values ov ON ov.id = vov.option_value_id
                           JOIN product_options o ON o.id = ov.option_id
                           WHERE vov.variant_id = v.id), '[]'::json),
                       'prices', coalesce((
                           SELECT json_object_agg(vp.currency_code,
                                                  json_build_object('id', vp.id, 'amount', vp.amount))
                           FROM variant_prices vp WHERE vp.variant_id = v.id), '{}'::json))
                   ORDER BY v.rank, v.id)
            FROM product_variants v WHERE v.product_id = p.id), '[]'::json),
        'images', coalesce((
            SELECT json_agg(json_build_object('id', i.id, 'r2_key', i.r2_key, 'alt', i.alt,
                                              'rank', i.rank, 'width', i.width, 'height', i.height)
                            ORDER BY i.rank, i.id)
            FROM product_images i WHERE i.product_id = p.id), '[]'::json));
END $$;

-- `json`, not `jsonb`: the document is only ever sent as it is, and `json` leaves as
-- its text without a conversion.
CREATE TABLE product_docs (
    product_id text PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    store_id   text NOT NULL,
    doc        json NOT NULL
);

-- (Re)builds the documents of `ids` (ids of deleted products are skipped: their
-- documents went with them).
CREATE FUNCTION refresh_product_docs(ids text[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO product_docs (product_id, store_id, doc)
    SELECT p.id, p.store_id, product_document(p) FROM products p WHERE p.id = ANY(ids)
    ON CONFLICT (product_id) DO UPDATE SET store_id = EXCLUDED.store_id, doc = EXCLUDED.doc;
$$;

-- After a statement on a table a document shows: the products whose documents read the
-- rows it inserted, changed or deleted are rebuilt, once per statement.
-- A bulk load that writes a product's rows in several statements may instead set
-- `edgeshop.defer_product_docs` to 'on' for its transaction (SET LOCAL) and call
-- refresh_product_docs once for what it loaded before it commits (`seed large` does).
CREATE FUNCTION product_docs_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched jsonb[] := '{}';
    keys text[];
    ids text[];
BEGIN
    IF current_setting('edgeshop.defer_product_docs', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        touched := touched || ARRAY(SELECT to_jsonb(n) FROM new_rows n);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        touched := touched || ARRAY(SELECT to_jsonb(o) FROM old_rows o);
    END IF;
    -- The column naming what was touched: the product, or the row that leads to it.
    keys := ARRAY(SELECT DISTINCT r ->> TG_ARGV[0] FROM unnest(touched) r);
    ids := CASE TG_TABLE_NAME
        WHEN 'product_option_values' THEN
            ARRAY(SELECT o.product_id FROM product_options o WHERE o.id = ANY(keys))
        WHEN 'product_variant_option_values' THEN
            ARRAY(SELECT v.product_id FROM product_variants v WHERE v.id = ANY(keys))
        WHEN 'variant_prices' THEN
            ARRAY(SELECT v.product_id FROM product_variants v WHERE v.id = ANY(keys))
        WHEN 'product_categories' THEN
            ARRAY(SELECT pc.product_id FROM product_category_products pc WHERE pc.category_id = ANY(keys))
        WHEN 'product_collections' THEN
            ARRAY(SELECT p.id FROM products p WHERE p.collection_id = ANY(keys))
        ELSE keys
    END;
    PERFORM refresh_product_docs(ids);
    RETURN NULL;
END $$;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('products', 'id'), ('product_variants', 'product_id'), ('product_options', 'product_id'),
        ('product_option_values', 'option_id'), ('product_variant_option_values', 'variant_id'),
        ('variant_prices', 'variant_id'), ('product_images', 'product_id'),
        ('product_categories', 'id'), ('product_category_products', 'product_id'),
        ('product_collections', 'id')) AS x(name, key)
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION product_docs_follow(%L)',
                       t.name || '_docs_ins', t.name, t.key);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I
                        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION product_docs_follow(%L)',
                       t.name || '_docs_upd', t.name, t.key);
        -- A deleted product takes its document along (ON DELETE CASCADE).
        IF t.name <> 'products' THEN
            EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                            FOR EACH STATEMENT EXECUTE FUNCTION product_docs_follow(%L)',
                           t.name || '_docs_del', t.name, t.key);
        END IF;
    END LOOP;
END $$;

SELECT refresh_product_docs(ARRAY(SELECT id FROM products));

-- Published products per store: the `count` of an unfiltered list.
CREATE TABLE store_catalog_counts (
    store_id           text PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
    published_products bigint NOT NULL DEFAULT 0 CHECK (published_products >= 0)
);

INSERT INTO store_catalog_counts (store_id, published_products)
SELECT s.id, (SELECT count(*) FROM products p WHERE p.store_id = s.id AND p.status = 'published')
FROM stores s;

CREATE FUNCTION store_catalog_counts_for_store() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO store_catalog_counts (store_id) VALUES (NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER stores_catalog_counts AFTER INSERT ON stores
FOR EACH ROW EXECUTE FUNCTION store_catalog_counts_for_store();

-- Statement-level, over the transition tables: a bulk import or publication changes
-- each store's row once per statement, and an edit that leaves every product's store
-- and status as they were touches (and locks) nothing.
CREATE FUNCTION count_published_products() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE store_catalog_counts c SET published_products = published_products + d.n
        FROM (SELECT store_id, count(*) AS n FROM new_rows WHERE status = 'published'
              GROUP BY store_id) d
        WHERE c.store_id = d.store_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE store_catalog_counts c SET published_products = published_products - d.n
        FROM (SELECT store_id, count(*) AS n FROM old_rows WHERE status = 'published'
              GROUP BY store_id) d
        WHERE c.store_id = d.store_id;
    ELSE
        UPDATE store_catalog_counts c SET published_products = published_products + d.n
        FROM (SELECT store_id, sum(n) AS n
              FROM (SELECT store_id, 1 AS n FROM new_rows WHERE status = 'published'
                    UNION ALL
                    SELECT store_id, -1 FROM old_rows WHERE status = 'published') changes
              GROUP BY store_id HAVING sum(n) <> 0) d
        WHERE c.store_id = d.store_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER products_count_ins AFTER INSERT ON products
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION count_published_products();
CREATE TRIGGER products_count_upd AFTER UPDATE ON products
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION count_published_products();
CREATE TRIGGER products_count_del AFTER DELETE ON products
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION count_published_products();
