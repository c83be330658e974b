-- 0018: archived products, variant barcodes, product attributes, and images uploaded
-- with an import's file.
--
-- Archived: a product the store no longer sells but keeps (its orders point at it);
-- shoppers never see it, like a draft, and the admin list leaves it out unless asked.
ALTER TABLE products DROP CONSTRAINT products_status_check;
ALTER TABLE products ADD CONSTRAINT products_status_check
    CHECK (status IN ('draft', 'published', 'archived'));

-- A variant's barcode (EAN, UPC, ISBN or the store's own), unique within the store.
ALTER TABLE product_variants
    ADD COLUMN barcode text CHECK (barcode ~ '^[A-Za-z0-9-]{1,64}$');
CREATE UNIQUE INDEX product_variants_barcode_idx ON product_variants (store_id, barcode)
    WHERE barcode IS NOT NULL;

-- The attributes a store describes its products with: a key (what the Store API and
-- filters name it), the label shoppers read, and a kind: text, number, boolean, or one
-- of a list of choices. `commerce::catalog::attribute` checks every value against it.
CREATE TABLE product_attributes (
    id         text PRIMARY KEY,
    store_id   text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    key        text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    kind       text NOT NULL CHECK (kind IN ('text', 'number', 'boolean', 'choice')),
    choices    text[] NOT NULL DEFAULT '{}',
    -- Offered as a filter on the storefront's listings (booleans and choices).
    filterable boolean NOT NULL DEFAULT false,
    rank       integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, id),
    UNIQUE (store_id, key),
    CHECK ((kind = 'choice') = (cardinality(choices) > 0))
);

-- A product's values by attribute key: {"material": "linen", "organic": true}. Checked
-- against the store's attributes by the domain. The GIN index answers which products
-- have a key (an attribute's count, its rename or removal) without reading the others.
ALTER TABLE products ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(attributes) = 'object');
CREATE INDEX products_attributes_idx ON products USING gin (attributes);

-- Attribute labels are shown on pages: a change moves the catalog version (see 0003).
DO $$
DECLARE
    t text := 'product_attributes';
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()',
                   t || '_version_ins', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()',
                   t || '_version_upd', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()',
                   t || '_version_del', t);
END $$;

-- The kept document (0006) gains the variants' barcodes and the product's attributes,
-- each with its label and kind, in the store's order of its attributes. A change of an
-- attribute's label or choices rebuilds the documents of the products that have it
-- (`commerce::catalog::attribute`).
CREATE OR REPLACE FUNCTION product_document(p products) RETURNS json
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
                       'barcode', v.barcode,
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
            FROM product_images i WHERE i.product_id = p.id), '[]'::json),
        'attributes', coalesce((
            SELECT json_agg(json_build_object('key', a.key, 'label', a.label, 'kind', a.kind,
                                              'value', p.attributes -> a.key)
                            ORDER BY a.rank, a.key)
            FROM product_attributes a
            WHERE a.store_id = p.store_id AND p.attributes ? a.key), '[]'::json));
END $$;

SELECT refresh_product_docs(ARRAY(SELECT id FROM products));

-- Images uploaded with an import's file, already in the assets bucket: the file's
-- `Image Src` names them ([{name, key, width, height}]).
ALTER TABLE catalog_imports ADD COLUMN images jsonb NOT NULL DEFAULT '[]';
