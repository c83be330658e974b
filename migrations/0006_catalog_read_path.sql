-- 0006: the catalog's read path, made cheap to plan and independent of the catalog's size.
--
-- Every request of the edge arrives on a pooled connection (Hyperdrive in production,
-- PgBouncer in `scripts/bench`) as unnamed statements, so a statement is parsed and
-- planned on every request. A product with its options, variants, prices, stock and
-- images is a dozen correlated subqueries whose planning cost several times their
-- execution. `product_doc` holds them in PL/pgSQL, whose statements are planned once
-- per pooled backend and then reused, so the query a request sends is small.
--
-- The exact `count` of a store's unfiltered product list was a scan of all its
-- published products on each request; `store_catalog_counts` keeps it, in the same
-- transaction as every change of a product's store or status.

-- One product as the catalog's readers take it (`commerce::catalog::product::Product`):
-- its columns, collection, active categories, options with values, variants with their
-- option values, their price in `cur` (none without a currency) and their available
-- stock, and images, each list in rank order.
CREATE FUNCTION product_doc(p products, cur text) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN jsonb_build_object(
        'id', p.id, 'handle', p.handle, 'title', p.title, 'subtitle', p.subtitle,
        'description', p.description, 'status', p.status, 'thumbnail_key', p.thumbnail_key,
        'created_at', api_ts(p.created_at), 'updated_at', api_ts(p.updated_at),
        'collection', (SELECT jsonb_build_object('id', col.id, 'title', col.title, 'handle', col.handle)
                       FROM product_collections col WHERE col.id = p.collection_id),
        'categories', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'handle', c.handle,
                                                'parent_category_id', c.parent_id) ORDER BY c.rank, c.id)
            FROM product_category_products pc
            JOIN product_categories c ON c.id = pc.category_id AND c.is_active
            WHERE pc.product_id = p.id), '[]'::jsonb),
        'options', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', o.id, 'title', o.title,
                       'values', coalesce((
                           SELECT jsonb_agg(jsonb_build_object('id', ov.id, 'value', ov.value,
                                                               'option_id', ov.option_id) ORDER BY ov.rank, ov.id)
                           FROM product_option_values ov WHERE ov.option_id = o.id), '[]'::jsonb))
                   ORDER BY o.rank, o.id)
            FROM product_options o WHERE o.product_id = p.id), '[]'::jsonb),
        'variants', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', v.id, 'title', v.title, 'sku', v.sku,
                       'weight_g', v.weight_g, 'manage_inventory', v.manage_inventory,
                       'allow_backorder', v.allow_backorder, 'rank', v.rank,
                       'created_at', api_ts(v.created_at), 'updated_at', api_ts(v.updated_at),
                       'options', coalesce((
                           SELECT jsonb_agg(jsonb_build_object('id', ov.id, 'value', ov.value,
                                                               'option_id', ov.option_id) ORDER BY o.rank, o.id)
                           FROM product_variant_option_values vov
                           JOIN product_option_values ov ON ov.id = vov.option_value_id
                           JOIN product_options o ON o.id = ov.option_id
                           WHERE vov.variant_id = v.id), '[]'::jsonb),
                       'price', (SELECT jsonb_build_object('id', vp.id, 'amount', vp.amount)
                                 FROM variant_prices vp
                                 WHERE vp.variant_id = v.id AND vp.currency_code = cur),
                       'inventory_quantity', coalesce((
                           SELECT sum(il.stocked - il.reserved)
                           FROM inventory_levels il WHERE il.variant_id = v.id), 0))
                   ORDER BY v.rank, v.id)
            FROM product_variants v WHERE v.product_id = p.id), '[]'::jsonb),
        'images', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', i.id, 'r2_key', i.r2_key, 'alt', i.alt,
                                                'rank', i.rank, 'width', i.width, 'height', i.height)
                             ORDER BY i.rank, i.id)
            FROM product_images i WHERE i.product_id = p.id), '[]'::jsonb));
END $$;

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
