-- Catalog imports: a file checked (the dry run, with every row's problems), then,
-- once a member confirms it, written in batches by the origin's job runner, with its
-- progress kept here so the admin page can show it and a restarted batch goes on
-- where the last one stopped (writing a product again changes nothing).
CREATE TABLE catalog_imports (
    id            text PRIMARY KEY,
    store_id      text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    file_name     text NOT NULL CHECK (length(file_name) <= 255),
    file          bytea NOT NULL,
    status        text NOT NULL DEFAULT 'checked'
                  CHECK (status IN ('checked', 'importing', 'done', 'failed')),
    -- What the dry run found.
    rows          integer NOT NULL CHECK (rows >= 0),
    products      integer NOT NULL CHECK (products >= 0),
    to_create     integer NOT NULL CHECK (to_create >= 0),
    to_update     integer NOT NULL CHECK (to_update >= 0),
    refused_rows  integer NOT NULL CHECK (refused_rows >= 0),
    problem_count integer NOT NULL CHECK (problem_count >= 0),
    -- The first problems, by row and column (a file of broken rows keeps 1,000).
    problems      jsonb NOT NULL DEFAULT '[]',
    -- Products written so far, and what became of them (created, updated, ...).
    done          integer NOT NULL DEFAULT 0 CHECK (done >= 0),
    summary       jsonb,
    error         text,
    -- Who checked it and who confirmed it (the inventory ledger names them).
    created_by    text,
    confirmed_by  text,
    confirmed_role text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    UNIQUE (store_id, id)
);
CREATE INDEX catalog_imports_store_idx ON catalog_imports (store_id, created_at DESC);

-- A catalog import writes each product in dozens of statements. Like the product
-- documents (0006), the catalog version may then be bumped once, at the end of the
-- product's transaction, instead of after every statement: the transaction sets
-- `edgeshop.defer_catalog_version` to 'on' (SET LOCAL) and bumps it itself before it
-- commits. Imports writing several products at once then hold the store's row only
-- for that last moment.
CREATE OR REPLACE FUNCTION bump_catalog_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('edgeshop.defer_catalog_version', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        UPDATE stores SET catalog_version = catalog_version + 1
        WHERE id IN (SELECT DISTINCT store_id FROM old_rows);
    ELSE
        UPDATE stores SET catalog_version = catalog_version + 1
        WHERE id IN (SELECT DISTINCT store_id FROM new_rows);
    END IF;
    RETURN NULL;
END $$;
