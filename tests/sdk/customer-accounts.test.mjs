// Customer accounts through the Medusa JS SDK (@medusajs/js-sdk), unchanged: signing
// up and in with `sdk.auth`, the profile and its addresses with `sdk.store.customer`,
// carts that belong to a customer and the orders they become, cookie sessions, token
// refresh, a forgotten password reset through the mailed link, and the walls between
// customers and between stores. Run by scripts/test against the wrangler dev stack:
//
//   E2E_BASE_URL=http://127.0.0.1:8787 E2E_ORIGIN_URL=http://127.0.0.1:8788 \
//     node --test tests/sdk/customer-accounts.test.mjs
//
// Every run signs up new shoppers (unique addresses) and places a few real orders;
// nothing here depends on another test file or on another test in this one.
import { test } from "node:test";
import assert from "node:assert/strict";
import Medusa, { FetchError } from "@medusajs/js-sdk";
import { mailbox, mailTo, mails } from "../lib/mailbox.mjs";

const baseUrl = process.env.E2E_BASE_URL;
const originUrl = process.env.E2E_ORIGIN_URL;
assert.ok(baseUrl, "E2E_BASE_URL is not set (e.g. http://127.0.0.1:8787): run scripts/test, or export it");

// Bound every request, as checkout.test.mjs does, so a stuck stack fails a test
// instead of hanging the run.
const REQUEST_TIMEOUT_MS = 15_000;
const TEST_TIMEOUT_MS = 90_000;
const plainFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const limit = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const signal = init.signal ? AbortSignal.any([init.signal, limit]) : limit;
  return plainFetch(input, { ...init, signal });
};

const HARBOR = "pk_harborpine_demo_3f9a6c2e51b84d07";
const LUMEN = "pk_lumenhome_demo_8b1e47d2c0a95f36";
const REGION = "reg_HPEU";
const PROVIDER = "pp_system_default";
const CARD_OK = "4242424242424242";
const INVALID_LOGIN = "Invalid email or password";
const RESET_LINK = /\/account\/reset-password\?token=([A-Za-z0-9]+)/;

const near = (a, b) => Math.abs(a - b) < 0.005;
const random = () => Math.random().toString(36).slice(2, 10);
const uniqueEmail = () => `shopper-${Date.now()}-${random()}@example.test`;
const strongPassword = () => `Harbour-lights-${random()}-at-dusk`;

// A distinct client address for each SDK instance, so that one test's sign-in
// attempts never count against another's limits.
const clientIp = (n) => `198.51.100.${n}`;

// A Medusa SDK for one store. Node has no localStorage, and the SDK's default there
// is to keep no token at all: "memory" keeps it for the following requests.
function newSdk(n, publishableKey = HARBOR) {
  return new Medusa({
    baseUrl,
    publishableKey,
    globalHeaders: { "cf-connecting-ip": clientIp(n) },
    auth: { type: "jwt", jwtTokenStorageMethod: "memory" },
  });
}

// The claims of a JWT (its middle part), and its header.
function jwtPayload(token) {
  const parts = token.split(".");
  assert.equal(parts.length, 3, `a JWT has three parts: ${token}`);
  return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
}
function jwtHeader(token) {
  return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8"));
}

// Asserts that `promise` fails as the SDK reports an HTTP error: a FetchError with
// `status` (and `message`, when given).
async function rejectsWithStatus(promise, status, message) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof FetchError, `a FetchError, not ${err?.name}: ${err?.message}`);
    assert.equal(err.status, status, `status ${err.status}: ${err.message}`);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  });
}

// A shopper with an account: registered, customer created, signed in. The SDK holds
// the sign-in token.
async function signUp(n, { publishableKey = HARBOR, email = uniqueEmail(), password = strongPassword(), first_name = "Ada", last_name = "Lovelace" } = {}) {
  const sdk = newSdk(n, publishableKey);
  const registered = await sdk.auth.register("customer", "emailpass", { email, password });
  assert.equal(typeof registered, "string");
  const { customer } = await sdk.store.customer.create({ email, first_name, last_name });
  assert.match(customer.id, /^cus_/);
  const token = await sdk.auth.login("customer", "emailpass", { email, password });
  assert.equal(typeof token, "string", `sign-in answered ${JSON.stringify(token)}`);
  assert.equal(jwtPayload(token).actor_id, customer.id);
  return { sdk, token, customer, email, password };
}

// GET /store/customers/me with plain fetch: a bearer token, a cookie, or neither.
function fetchMe({ token, cookie, publishableKey = HARBOR, n }) {
  const headers = { "x-publishable-api-key": publishableKey, "cf-connecting-ip": clientIp(n) };
  if (token) headers.authorization = `Bearer ${token}`;
  if (cookie) headers.cookie = cookie;
  return fetch(`${baseUrl}/store/customers/me`, { headers });
}


// A variant that is certainly in stock (as in checkout.test.mjs).
async function inStockVariant(sdk) {
  const { products } = await sdk.store.product.list({
    region_id: REGION,
    limit: 50,
    fields: "*variants.calculated_price,+variants.inventory_quantity",
  });
  const candidates = products
    .flatMap((p) => p.variants)
    .filter((v) => v.manage_inventory && !v.allow_backorder && v.inventory_quantity >= 10 && v.calculated_price)
    .sort((a, b) => b.inventory_quantity - a.inventory_quantity);
  assert.ok(candidates.length > 0, "a variant with at least 10 in stock in the EU region");
  return candidates[0];
}

const shippingAddress = {
  first_name: "Ada",
  last_name: "Lovelace",
  address_1: "Hafenstraße 12",
  city: "Hamburg",
  postal_code: "20457",
  country_code: "de",
  phone: "+49 40 1234567",
};

// Buys one unit with `sdk` (signed in or not): a new cart unless one is given, the
// shipping address, the first shipping option, the test card, completion.
async function purchase(sdk, given) {
  const variant = await inStockVariant(sdk);
  let cart = given ?? (await sdk.store.cart.create({ region_id: REGION })).cart;
  ({ cart } = await sdk.store.cart.createLineItem(cart.id, { variant_id: variant.id, quantity: 1 }));
  ({ cart } = await sdk.store.cart.update(cart.id, { shipping_address: shippingAddress, billing_address: shippingAddress }));
  const { shipping_options } = await sdk.store.fulfillment.listCartOptions({ cart_id: cart.id });
  assert.ok(shipping_options.length >= 1, "shipping options for a German address");
  ({ cart } = await sdk.store.cart.addShippingMethod(cart.id, { option_id: shipping_options[0].id }));
  const { payment_collection } = await sdk.store.payment.initiatePaymentSession(cart, {
    provider_id: PROVIDER,
    data: { card_number: CARD_OK },
  });
  assert.ok(near(payment_collection.amount, cart.total), `collection amount ${payment_collection.amount} = cart total ${cart.total}`);
  const done = await sdk.store.cart.complete(cart.id);
  assert.equal(done.type, "order", `completion answered ${JSON.stringify(done).slice(0, 500)}`);
  assert.match(done.order.id, /^order_/);
  return { cart, order: done.order };
}

test("account lifecycle: register, create the customer, sign in, read and update the profile", { timeout: TEST_TIMEOUT_MS }, async () => {
  const email = uniqueEmail();
  const password = strongPassword();
  const sdk = newSdk(40);

  // Registration answers a token for an identity that is no customer yet.
  const registered = await sdk.auth.register("customer", "emailpass", { email, password });
  assert.equal(jwtHeader(registered).alg, "HS256");
  const claims = jwtPayload(registered);
  assert.equal(claims.actor_id, "");
  assert.equal(claims.actor_type, "customer");
  assert.match(claims.auth_identity_id, /^authid_/);
  assert.deepEqual(claims.app_metadata, {});
  assert.equal(typeof claims.iat, "number");
  assert.equal(typeof claims.exp, "number");
  assert.ok(claims.exp > claims.iat, "the token expires after it was issued");

  // The SDK sends that token as Bearer: the customer is made for that identity.
  const { customer } = await sdk.store.customer.create({ email, first_name: "Ada", last_name: "Lovelace" });
  assert.match(customer.id, /^cus_/);
  assert.equal(customer.email, email);
  assert.equal(customer.first_name, "Ada");
  assert.equal(customer.last_name, "Lovelace");
  assert.equal(customer.has_account, true);
  assert.deepEqual(customer.addresses, []);
  await rejectsWithStatus(sdk.store.customer.create({ email, first_name: "Ada", last_name: "Again" }), 400);

  // The address is taken; weak passwords are refused.
  await assert.rejects(newSdk(40).auth.register("customer", "emailpass", { email, password: strongPassword() }));
  await rejectsWithStatus(newSdk(40).auth.register("customer", "emailpass", { email: uniqueEmail(), password: "password1234" }), 400);
  await rejectsWithStatus(newSdk(40).auth.register("customer", "emailpass", { email: uniqueEmail(), password: "Sh0rt-pw" }), 400);

  // Signing in answers a token for the customer.
  const token = await sdk.auth.login("customer", "emailpass", { email, password });
  assert.equal(typeof token, "string", `sign-in answered ${JSON.stringify(token)}`);
  const signedIn = jwtPayload(token);
  assert.equal(signedIn.actor_id, customer.id);
  assert.equal(signedIn.actor_type, "customer");
  assert.equal(signedIn.auth_identity_id, claims.auth_identity_id);
  assert.equal(signedIn.app_metadata?.customer_id, customer.id);

  const { customer: me } = await sdk.store.customer.retrieve();
  assert.equal(me.id, customer.id);
  assert.equal(me.email, email);

  const changes = { first_name: "Augusta", last_name: "King", phone: "+49 40 7654321", company_name: "Analytical Engines GmbH" };
  const { customer: updated } = await sdk.store.customer.update(changes);
  assert.equal(updated.id, customer.id);
  for (const [k, v] of Object.entries(changes)) assert.equal(updated[k], v, `updated ${k}`);
  const { customer: reread } = await sdk.store.customer.retrieve();
  for (const [k, v] of Object.entries(changes)) assert.equal(reread[k], v, `re-read ${k}`);
  assert.equal(reread.email, email, "the e-mail is unchanged");

  // A wrong password and an unknown address read exactly the same.
  const other = newSdk(41);
  await rejectsWithStatus(other.auth.login("customer", "emailpass", { email, password: `${password}-wrong` }), 401, INVALID_LOGIN);
  await rejectsWithStatus(other.auth.login("customer", "emailpass", { email: uniqueEmail(), password }), 401, INVALID_LOGIN);
});

test("addresses: create, list, retrieve, update, one default shipping address, delete", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { sdk, customer } = await signUp(42);
  const home = {
    first_name: "Ada",
    last_name: "Lovelace",
    address_1: "Hafenstraße 12",
    city: "Hamburg",
    country_code: "de",
    postal_code: "20457",
    phone: "+49 40 1234567",
    address_name: "Home",
    is_default_shipping: true,
  };

  const created = await sdk.store.customer.createAddress(home);
  assert.equal(created.customer.id, customer.id);
  assert.equal(created.customer.addresses.length, 1);
  const homeAddress = created.customer.addresses.find((a) => a.address_name === "Home");
  assert.ok(homeAddress, `the new address among ${JSON.stringify(created.customer.addresses)}`);
  assert.match(homeAddress.id, /^cuaddr_/);
  for (const [k, v] of Object.entries(home)) assert.equal(homeAddress[k], v, `address ${k}`);

  const listed = await sdk.store.customer.listAddress();
  assert.equal(listed.count, 1);
  assert.equal(typeof listed.offset, "number");
  assert.equal(typeof listed.limit, "number");
  assert.deepEqual(listed.addresses.map((a) => a.id), [homeAddress.id]);

  const { address } = await sdk.store.customer.retrieveAddress(homeAddress.id);
  assert.equal(address.id, homeAddress.id);
  assert.equal(address.city, "Hamburg");

  const moved = await sdk.store.customer.updateAddress(homeAddress.id, { city: "Bremen" });
  const movedHome = moved.customer.addresses.find((a) => a.id === homeAddress.id);
  assert.equal(movedHome.city, "Bremen");
  assert.equal(movedHome.address_1, home.address_1, "other fields are kept");
  assert.equal(movedHome.is_default_shipping, true);

  // A second default shipping address takes the default from the first.
  const withOffice = await sdk.store.customer.createAddress({
    ...home,
    address_name: "Office",
    address_1: "Speicherstadt 3",
    postal_code: "20457",
    city: "Hamburg",
    is_default_shipping: true,
  });
  assert.equal(withOffice.customer.addresses.length, 2);
  const office = withOffice.customer.addresses.find((a) => a.address_name === "Office");
  assert.match(office.id, /^cuaddr_/);
  assert.equal(office.is_default_shipping, true);
  assert.equal(withOffice.customer.addresses.find((a) => a.id === homeAddress.id).is_default_shipping, false);
  assert.equal(withOffice.customer.addresses.filter((a) => a.is_default_shipping).length, 1, "one default shipping address");
  assert.equal((await sdk.store.customer.listAddress()).count, 2);

  const deleted = await sdk.store.customer.deleteAddress(homeAddress.id);
  assert.equal(deleted.id, homeAddress.id);
  assert.equal(deleted.object, "address");
  assert.equal(deleted.deleted, true);
  assert.equal(deleted.parent?.id, customer.id, "the parent is the customer");
  assert.deepEqual(deleted.parent.addresses.map((a) => a.id), [office.id]);
  await rejectsWithStatus(sdk.store.customer.retrieveAddress(homeAddress.id), 404);
  const after = await sdk.store.customer.listAddress();
  assert.equal(after.count, 1);
  assert.deepEqual(after.addresses.map((a) => a.id), [office.id]);
});

test("cart and orders: a signed-in cart belongs to the customer, a guest cart is taken over, orders are listed", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { sdk, customer, email } = await signUp(43);

  // A cart made while signed in carries the customer and the e-mail.
  const { cart } = await sdk.store.cart.create({ region_id: REGION });
  assert.equal(cart.customer_id, customer.id);
  assert.equal(cart.email, email);

  const { order } = await purchase(sdk, cart);
  assert.equal(order.customer_id, customer.id);
  assert.equal(order.email, email);

  const listed = await sdk.store.order.list();
  assert.ok(Array.isArray(listed.orders));
  assert.equal(typeof listed.count, "number");
  assert.equal(typeof listed.offset, "number");
  assert.equal(typeof listed.limit, "number");
  assert.ok(listed.count >= 1);
  assert.ok(listed.orders.some((o) => o.id === order.id), `order ${order.id} among ${listed.orders.map((o) => o.id)}`);
  for (const o of listed.orders) assert.equal(o.customer_id, customer.id, `customer of ${o.id}`);

  // A cart started as a guest is taken over after signing in.
  const guest = newSdk(44);
  const { cart: guestCart } = await guest.store.cart.create({ region_id: REGION });
  assert.ok(!guestCart.customer_id, "a guest cart has no customer");
  const { cart: transferred } = await sdk.store.cart.transferCart(guestCart.id);
  assert.equal(transferred.id, guestCart.id);
  assert.equal(transferred.customer_id, customer.id);
});

test("session mode and refresh: a token becomes an HttpOnly cookie, a refreshed token works", { timeout: TEST_TIMEOUT_MS }, async () => {
  const n = 45;
  const { sdk, token, customer } = await signUp(n);

  // A refreshed token is for the same customer, and the SDK uses it.
  const refreshed = await sdk.auth.refresh();
  assert.equal(typeof refreshed.token, "string");
  const claims = jwtPayload(refreshed.token);
  assert.equal(claims.actor_id, customer.id);
  assert.equal(claims.actor_type, "customer");
  assert.ok(claims.exp >= jwtPayload(token).exp, "the refreshed token lasts at least as long");
  assert.equal((await sdk.store.customer.retrieve()).customer.id, customer.id);
  const viaRefreshed = await fetchMe({ token: refreshed.token, n });
  assert.equal(viaRefreshed.status, 200);

  // Node's fetch keeps no cookies: the session is followed by hand.
  const headers = { "x-publishable-api-key": HARBOR, "cf-connecting-ip": clientIp(n) };
  const opened = await fetch(`${baseUrl}/auth/session`, {
    method: "POST",
    headers: { ...headers, authorization: `Bearer ${refreshed.token}` },
  });
  assert.equal(opened.status, 200);
  const setCookie = opened.headers.getSetCookie();
  assert.ok(setCookie.length >= 1, "a session cookie is set");
  const [sessionCookie] = setCookie;
  assert.match(sessionCookie, /;\s*httponly\b/i, `HttpOnly: ${sessionCookie}`);
  assert.match(sessionCookie, /;\s*samesite=lax\b/i, `SameSite=Lax: ${sessionCookie}`);
  const cookie = sessionCookie.split(";")[0].trim();
  assert.match(cookie, /^[^=]+=.+/, "name=value");

  const me = await fetchMe({ cookie, n });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).customer?.id, customer.id);

  const closed = await fetch(`${baseUrl}/auth/session`, { method: "DELETE", headers: { ...headers, cookie } });
  assert.equal(closed.status, 200);
  const after = await fetchMe({ cookie, n });
  assert.equal(after.status, 401, "the ended session's cookie no longer signs in");
});

test("password reset: a mailed link sets a new password once and ends older sign-ins", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { sdk, customer, email, password } = await signUp(47);
  const anon = newSdk(48);

  // The same answer whether or not the address has an account.
  const unknown = uniqueEmail();
  await anon.auth.resetPassword("customer", "emailpass", { identifier: unknown });
  await anon.auth.resetPassword("customer", "emailpass", { identifier: email });

  const mail = await mailTo(originUrl, email, RESET_LINK);
  const resetToken = mail.match(RESET_LINK)[1];
  assert.equal(resetToken.length, 52, `a 52-character token: ${resetToken}`);
  const toUnknown = mails(await mailbox(originUrl)).filter((m) => m.includes(unknown));
  assert.ok(toUnknown.every((m) => !m.includes("reset-password?token=")), "no reset link for an address without an account");

  const newPassword = strongPassword();
  await anon.auth.updateProvider("customer", "emailpass", { password: newPassword }, resetToken);
  await rejectsWithStatus(anon.auth.updateProvider("customer", "emailpass", { password: strongPassword() }, resetToken), 401);

  await rejectsWithStatus(anon.auth.login("customer", "emailpass", { email, password }), 401, INVALID_LOGIN);
  const token = await anon.auth.login("customer", "emailpass", { email, password: newPassword });
  assert.equal(typeof token, "string");
  assert.equal(jwtPayload(token).actor_id, customer.id);
  assert.equal((await anon.store.customer.retrieve()).customer.id, customer.id);

  // The token from before the reset is no longer accepted.
  await rejectsWithStatus(sdk.store.customer.retrieve(), 401);
});

test("isolation: customers see only their own addresses, orders and carts; tokens stay in their store", { timeout: TEST_TIMEOUT_MS }, async () => {
  const a = await signUp(49);
  const b = await signUp(50, { first_name: "Grace", last_name: "Hopper" });
  assert.notEqual(a.customer.id, b.customer.id);

  // A's address is not B's to read, change or delete.
  const { customer: withAddress } = await a.sdk.store.customer.createAddress({
    first_name: "Ada",
    last_name: "Lovelace",
    address_1: "Hafenstraße 12",
    city: "Hamburg",
    country_code: "de",
    postal_code: "20457",
    phone: "+49 40 1234567",
    address_name: "Home",
    is_default_shipping: true,
  });
  const addressId = withAddress.addresses[0].id;
  await rejectsWithStatus(b.sdk.store.customer.retrieveAddress(addressId), 404);
  await rejectsWithStatus(b.sdk.store.customer.updateAddress(addressId, { city: "Berlin" }), 404);
  await rejectsWithStatus(b.sdk.store.customer.deleteAddress(addressId), 404);
  const { address } = await a.sdk.store.customer.retrieveAddress(addressId);
  assert.equal(address.city, "Hamburg", "A's address is untouched");
  assert.equal((await b.sdk.store.customer.listAddress()).count, 0);

  // A's orders are not in B's list.
  const { order } = await purchase(a.sdk);
  assert.equal(order.customer_id, a.customer.id);
  const bOrders = await b.sdk.store.order.list();
  assert.ok(!bOrders.orders.some((o) => o.id === order.id), "B does not see A's order");
  assert.ok(bOrders.orders.every((o) => o.customer_id === b.customer.id));

  // B cannot take over A's cart.
  const { cart: aCart } = await a.sdk.store.cart.create({ region_id: REGION });
  await rejectsWithStatus(b.sdk.store.cart.transferCart(aCart.id), 404);
  assert.equal((await a.sdk.store.cart.retrieve(aCart.id)).cart.customer_id, a.customer.id);

  // Tokens: only for their own store, only as signed, never absent.
  assert.equal((await fetchMe({ token: a.token, n: 51 })).status, 200);
  assert.equal((await fetchMe({ token: a.token, publishableKey: LUMEN, n: 51 })).status, 401, "a Harbor Pine token at Lumen Home");
  const [head, body, signature] = a.token.split(".");
  const i = Math.floor(signature.length / 2);
  const flipped = `${signature.slice(0, i)}${signature[i] === "A" ? "B" : "A"}${signature.slice(i + 1)}`;
  assert.equal((await fetchMe({ token: `${head}.${body}.${flipped}`, n: 51 })).status, 401, "a changed signature");
  const claims = jwtPayload(a.token);
  const forged = { ...claims, actor_id: b.customer.id, app_metadata: { ...claims.app_metadata, customer_id: b.customer.id } };
  const forgedBody = Buffer.from(JSON.stringify(forged)).toString("base64url");
  assert.equal((await fetchMe({ token: `${head}.${forgedBody}.${signature}`, n: 51 })).status, 401, "a payload swapped to B, not re-signed");
  assert.equal((await fetchMe({ n: 51 })).status, 401, "no token");
  await rejectsWithStatus(newSdk(51).store.customer.retrieve(), 401);

  // The same address may have a separate account at another store.
  const lumen = await signUp(52, { publishableKey: LUMEN, email: a.email });
  assert.notEqual(lumen.customer.id, a.customer.id, "a different customer at Lumen Home");
  assert.equal(lumen.customer.email, a.email);
  assert.equal((await lumen.sdk.store.customer.retrieve()).customer.id, lumen.customer.id);
  assert.equal((await fetchMe({ token: lumen.token, n: 52 })).status, 401, "a Lumen Home token at Harbor Pine");
  assert.equal((await a.sdk.store.customer.retrieve()).customer.id, a.customer.id, "A's own account is unchanged");
});
