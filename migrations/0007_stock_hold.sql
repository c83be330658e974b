-- Holding an order's stock in one statement (order::stock::hold): the lines' stock rows
-- are locked, the units taken and the reservations recorded inside one function call,
-- so a hot variant's row stays locked for one round trip and the commit, not for a
-- round trip per line and per location.
--
-- p_items, p_variants, p_quantities, p_backorder: the lines, sorted by variant id by the
-- caller (rows are locked in that order: two orders never wait on each other in a
-- cycle). A line takes its units from the store's locations that stock the variant, in
-- the locations' rank order; only a line that allows backorder takes more than is
-- available, the excess at its first location. Returns the lines that cannot be
-- served (variant, units available); then nothing may be kept: the caller rolls back.
CREATE FUNCTION hold_order_stock(
    p_store text, p_order text, p_items text[], p_variants text[], p_quantities int4[],
    p_backorder bool[])
RETURNS TABLE (variant_id text, available bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    line     int;
    level    record;
    wanted   int;
    take     int;
    step     int;
    total    bigint;
    first_at text;
    plan_loc text[];
    plan_qty int4[];
BEGIN
    FOR line IN 1 .. coalesce(array_length(p_variants, 1), 0) LOOP
        wanted := p_quantities[line];
        total := 0;
        first_at := NULL;
        plan_loc := '{}';
        plan_qty := '{}';
        FOR level IN
            SELECT il.location_id, il.stocked - il.reserved AS free
            FROM inventory_levels il
            JOIN stock_locations sl ON sl.store_id = il.store_id AND sl.id = il.location_id
            WHERE il.store_id = p_store AND il.variant_id = p_variants[line]
            ORDER BY sl.rank, sl.id
            FOR UPDATE OF il
        LOOP
            first_at := coalesce(first_at, level.location_id);
            total := total + greatest(level.free, 0);
            take := least(wanted, greatest(level.free, 0));
            IF take > 0 THEN
                plan_loc := plan_loc || level.location_id;
                plan_qty := plan_qty || take;
                wanted := wanted - take;
            END IF;
        END LOOP;
        IF wanted > 0 THEN
            IF p_backorder[line] AND first_at IS NOT NULL THEN
                IF plan_loc[1] = first_at THEN
                    plan_qty[1] := plan_qty[1] + wanted;
                ELSE
                    plan_loc := first_at || plan_loc;
                    plan_qty := wanted || plan_qty;
                END IF;
            ELSE
                variant_id := p_variants[line];
                available := total;
                RETURN NEXT;
                CONTINUE;
            END IF;
        END IF;
        FOR step IN 1 .. coalesce(array_length(plan_loc, 1), 0) LOOP
            UPDATE inventory_levels il
            SET reserved = il.reserved + plan_qty[step], updated_at = now()
            WHERE il.variant_id = p_variants[line] AND il.location_id = plan_loc[step]
              AND (il.stocked - il.reserved >= plan_qty[step] OR p_backorder[line]);
            IF NOT FOUND THEN
                RAISE EXCEPTION 'holding % of % at % changed no row',
                    plan_qty[step], p_variants[line], plan_loc[step];
            END IF;
            INSERT INTO order_reservations (order_id, item_id, variant_id, location_id, quantity)
            VALUES (p_order, p_items[line], p_variants[line], plan_loc[step], plan_qty[step]);
        END LOOP;
    END LOOP;
END
$$;
