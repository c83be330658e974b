-- 0009: how an order left the shop: the carrier, its tracking number and the page where
-- the shopper follows the parcel ({carrier, tracking_number, tracking_url}), set when
-- staff mark the order shipped. The shipping e-mail carries it.
ALTER TABLE orders ADD COLUMN shipment jsonb;
