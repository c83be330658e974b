-- 0003: a per-store catalog version, bumped in the same transaction as any change to
-- what shoppers see of the catalog (products, variants, options, prices, images,
-- categories, collections, regions). The edge puts the version into every cache key,
-- so a committed change makes the next lookup miss and render afresh; entries of older
-- versions are never read again and age out.
--
-- Stock levels do not bump it: they change with every order, and bumping on each one
-- would empty the store's cache on every sale. Cached pages show availability that
-- is at most the fresh lifetime old; carts and checkout always read stock live.

ALTER TABLE stores ADD COLUMN catalog_version bigint NOT NULL DEFAULT 1;

-- Statement-level triggers with transition tables: one UPDATE of the store row per
-- statement, however many rows it touched (a bulk import bumps once, not per row).
CREATE FUNCTION bump_catalog_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE stores SET catalog_version = catalog_version + 1
        WHERE id IN (SELECT DISTINCT store_id FROM old_rows);
    ELSE
        UPDATE stores SET catalog_version = catalog_version + 1
        WHERE id IN (SELECT DISTINCT store_id FROM new_rows);
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['products', 'product_variants', 'product_options',
        'product_option_values', 'product_variant_option_values', 'variant_prices',
        'product_images', 'product_categories', 'product_category_products',
        'product_collections', 'regions', 'region_countries']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()',
                       t || '_version_ins', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()',
                       t || '_version_upd', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()',
                       t || '_version_del', t);
    END LOOP;
END $$;
