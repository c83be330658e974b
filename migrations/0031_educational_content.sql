-- 0031: a product's educational content: what the product is for, how to use it, what
-- to know (the Steady Path store's guides). Rich text in the small, fixed grammar of
-- `commerce::catalog::rich_text` (paragraphs, `## ` headings, `- ` lists, `**bold**`,
-- links), kept as typed; every reader renders it to HTML from that grammar alone, so no
-- HTML is ever stored and there is nothing to sanitise after the fact.
ALTER TABLE products ADD COLUMN educational_content text NOT NULL DEFAULT ''
    CHECK (length(educational_content) <= 20000);

-- The kept document (0006, 0018) gains it.
CREATE OR REPLACE FUNCTION product_document(p products) RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN json_build_object(
        'id', p.id, 'handle', p.handle, 'title', p.title, 'subtitle', p.subtitle,
        'description', p.description, 'status', p.status, 'thumbnail_key', p.thumbnail_key,
        'educational_content', p.educational_content,
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
