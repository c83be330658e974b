-- 0014: a store's own roles. Owners may define roles from the permissions (never
-- staff:write: only owners manage staff); a member or an invitation then has either a
-- built-in role's name or such a role's id (`role_...`) as its role.
CREATE TABLE store_roles (
    id          text PRIMARY KEY CHECK (id LIKE 'role\_%'),
    store_id    text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    -- `resource:operation` names (staff::Permission).
    permissions text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX store_roles_name_idx ON store_roles (store_id, lower(name));

ALTER TABLE store_members DROP CONSTRAINT store_members_role_check;
ALTER TABLE store_members ADD CONSTRAINT store_members_role_check CHECK (role IN (
    'owner', 'admin', 'catalog', 'inventory', 'fulfilment', 'support', 'analyst')
    OR role LIKE 'role\_%');
ALTER TABLE staff_invites DROP CONSTRAINT staff_invites_role_check;
ALTER TABLE staff_invites ADD CONSTRAINT staff_invites_role_check CHECK (role IN (
    'owner', 'admin', 'catalog', 'inventory', 'fulfilment', 'support', 'analyst')
    OR role LIKE 'role\_%');

-- A store's own role given to a member or an invitation must be one of that store's.
CREATE FUNCTION store_role_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.role LIKE 'role\_%' AND NOT EXISTS (
        SELECT 1 FROM store_roles WHERE id = NEW.role AND store_id = NEW.store_id) THEN
        RAISE EXCEPTION 'role % is not a role of store %', NEW.role, NEW.store_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER store_members_role BEFORE INSERT OR UPDATE OF role ON store_members
    FOR EACH ROW EXECUTE FUNCTION store_role_exists();
CREATE TRIGGER staff_invites_role BEFORE INSERT OR UPDATE OF role ON staff_invites
    FOR EACH ROW EXECUTE FUNCTION store_role_exists();

-- A store's own role as the staff queries read it beside a role key: its name and
-- permissions; NULL for a built-in role.
CREATE FUNCTION store_role_info(p_store text, p_role text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('name', name, 'permissions', to_jsonb(permissions))
    FROM store_roles WHERE id = p_role AND store_id = p_store
$$;
