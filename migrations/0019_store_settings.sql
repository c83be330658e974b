-- 0019: what staff set on a store's settings pages: the region shoppers see first, and
-- where each stock location is.

-- The region a shopper without a chosen region (and none serving their country) sees.
-- Deleting the region clears it; it is always one of the store's own regions.
ALTER TABLE stores ADD COLUMN default_region_id text;
ALTER TABLE stores ADD CONSTRAINT stores_default_region_fk
    FOREIGN KEY (id, default_region_id) REFERENCES regions (store_id, id)
    ON DELETE SET NULL (default_region_id);

-- A stock location's address (Medusa's stock location address). All empty is no
-- address; otherwise address_1, city and country_code are there (the admin checks the
-- rest of the form).
ALTER TABLE stock_locations
    ADD COLUMN address_1    text,
    ADD COLUMN address_2    text,
    ADD COLUMN city         text,
    ADD COLUMN postal_code  text,
    ADD COLUMN province     text,
    ADD COLUMN country_code text REFERENCES countries (iso_2),
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT stock_locations_address_whole CHECK (
        (address_1 IS NULL AND city IS NULL AND country_code IS NULL
         AND address_2 IS NULL AND postal_code IS NULL AND province IS NULL)
        OR (address_1 IS NOT NULL AND city IS NOT NULL AND country_code IS NOT NULL));
