-- Each kept product document carries a revision, taken from a sequence whenever the
-- document is (re)built. A reader that has already written a product in the Store
-- API's shape keeps what it wrote under the revision it wrote it from: an uncached read
-- then asks the database only for the page's revisions and live stock, and writes a
-- product again only when its revision moved (edge/src/store_api/catalog.rs).
CREATE SEQUENCE product_doc_revisions;

ALTER TABLE product_docs
    ADD COLUMN revision bigint NOT NULL DEFAULT nextval('product_doc_revisions');

CREATE OR REPLACE FUNCTION refresh_product_docs(ids text[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO product_docs (product_id, store_id, doc)
    SELECT p.id, p.store_id, product_document(p) FROM products p WHERE p.id = ANY(ids)
    ON CONFLICT (product_id) DO UPDATE
        SET store_id = EXCLUDED.store_id, doc = EXCLUDED.doc,
            revision = nextval('product_doc_revisions');
$$;
