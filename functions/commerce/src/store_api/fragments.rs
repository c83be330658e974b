//! Products already written in the Store API's shape, kept by the reader that wrote
//! them (the edge Worker keeps one [`Fragments`] per isolate).
//!
//! An uncached product read asks the database only for the page's product ids, the
//! revision of each product's kept document (`product_docs.revision`, moved by every
//! rebuild) and live stock. A product whose revision was written before, for the same
//! pricing and image base, is not parsed or shaped again: its text is copied with the
//! stock written into it. Only the products whose revision moved are read whole
//! (one more statement) and written. A catalog change is therefore seen by the next
//! read, as before; stock is always live.
//!
//! Why: writing products was most of what an uncached list cost the Worker's isolate
//! (parsing 20 documents, building the shapes and serializing 120 KB: about a third of
//! its time, by the CPU profile of `BENCH_PROFILE=1 scripts/bench`), and it is the same
//! work for every request until the catalog changes.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

use super::shape::ProductShape;
use super::{ApiContext, Pricing};
use crate::catalog::product::{self, Product, ProductRef};
use crate::db::Sql;
use crate::error::ApiError;
use crate::ids::{ProductId, VariantId};

/// What a fragment of this many bytes or more is not kept: the isolate's memory is
/// shared with everything else it does.
const BIGGEST: usize = 256 * 1024;

/// Stock values written in place of a variant's `inventory_quantity` while a product is
/// written, so that the places where stock goes can be found in the text: the i-th
/// variant's is `MARK + i`. Searched as `"inventory_quantity":<MARK + i>`, which only a
/// key of the shape can be (inside a JSON string every `"` is escaped).
const MARK: i64 = 9_000_000_000_000_000_000;

/// A product in the Store API's shape, cut where each variant's stock goes.
#[derive(Debug)]
pub struct Fragment {
    revision: i64,
    /// One more piece than there are variants.
    pieces: Vec<Box<str>>,
    variants: Vec<VariantId>,
}

impl Fragment {
    /// Writes `product` (read at `revision`) as the Store API shows it to `ctx` with
    /// `pricing`, cut at the stock.
    fn write(
        ctx: &ApiContext<'_>,
        mut product: Product,
        pricing: &Pricing,
        revision: i64,
    ) -> Result<Fragment, ApiError> {
        for (v, mark) in product.variants.iter_mut().zip(MARK..) {
            v.inventory_quantity = mark;
        }
        let text = serde_json::to_string(&ProductShape::of(ctx, &product, pricing))
            .map_err(ApiError::internal)?;
        let mut pieces = Vec::with_capacity(product.variants.len() + 1);
        let mut rest = text.as_str();
        for mark in (MARK..).take(product.variants.len()) {
            let key = format!("\"inventory_quantity\":{mark}");
            let at = rest.find(&key).ok_or_else(|| {
                ApiError::internal(format!("no stock mark {mark} in {}", product.id))
            })?;
            let value_at = at + key.len() - mark.to_string().len();
            pieces.push(rest[..value_at].into());
            rest = &rest[at + key.len()..];
        }
        pieces.push(rest.into());
        Ok(Fragment {
            revision,
            pieces,
            variants: product.variants.into_iter().map(|v| v.id).collect(),
        })
    }

    pub(super) fn len(&self) -> usize {
        self.pieces.iter().map(|p| p.len()).sum()
    }

    /// Appends the product to `out` with `stock` (units per variant id, never shown
    /// below zero, as the shape does).
    pub fn write_with_stock(&self, stock: &HashMap<String, i64>, out: &mut String) {
        let mut pieces = self.pieces.iter();
        if let Some(first) = pieces.next() {
            out.push_str(first);
        }
        for (variant, piece) in self.variants.iter().zip(pieces) {
            let units = stock.get(variant.as_str()).copied().unwrap_or(0).max(0);
            let _ = write!(out, "{units}");
            out.push_str(piece);
        }
    }
}

/// The kept fragments, by product, pricing and image base; at most `capacity` bytes of
/// them (when a new one would not fit, all are let go: the next reads write them again).
#[derive(Debug)]
pub struct Fragments {
    kept: RefCell<HashMap<String, Rc<Fragment>>>,
    bytes: Cell<usize>,
    capacity: usize,
}

impl Fragments {
    pub fn new(capacity: usize) -> Self {
        Fragments {
            kept: RefCell::default(),
            bytes: Cell::new(0),
            capacity,
        }
    }

    fn key(product: &ProductId, pricing: &str, image_base: &str) -> String {
        format!("{product}\u{1f}{pricing}\u{1f}{image_base}")
    }

    fn get(&self, key: &str, revision: i64) -> Option<Rc<Fragment>> {
        self.kept
            .borrow()
            .get(key)
            .filter(|f| f.revision == revision)
            .cloned()
    }

    fn keep(&self, key: String, fragment: Rc<Fragment>) {
        let len = fragment.len();
        if len >= BIGGEST.min(self.capacity) {
            return;
        }
        let mut kept = self.kept.borrow_mut();
        if self.bytes.get() + len > self.capacity {
            kept.clear();
            self.bytes.set(0);
        }
        if let Some(old) = kept.insert(key, fragment) {
            self.bytes.set(self.bytes.get() - old.len());
        }
        self.bytes.set(self.bytes.get() + len);
    }

    /// How many fragments are kept, and their bytes.
    pub fn size(&self) -> (usize, usize) {
        (self.kept.borrow().len(), self.bytes.get())
    }

    /// The fragments of `refs` (same order) as `ctx` sees them with `pricing`: kept ones
    /// of the same revision, the others read (one statement for all of them) and
    /// written. A product gone between the two reads (deleted, unpublished) is left
    /// out, with its reference.
    pub(super) async fn of<C: Sql>(
        &self,
        client: &C,
        ctx: &ApiContext<'_>,
        refs: Vec<ProductRef>,
        pricing: &Pricing,
    ) -> Result<Vec<(ProductRef, Rc<Fragment>)>, ApiError> {
        let pricing_key = pricing.key();
        let keys: Vec<String> = refs
            .iter()
            .map(|r| Self::key(&r.id, &pricing_key, ctx.image_base))
            .collect();
        let mut found: Vec<Option<Rc<Fragment>>> = refs
            .iter()
            .zip(&keys)
            .map(|(r, key)| self.get(key, r.revision))
            .collect();
        let missing: Vec<&ProductId> = refs
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(r, _)| &r.id)
            .collect();
        if !missing.is_empty() {
            let read =
                product::revisions(client, &ctx.store.id, &missing, pricing.currency()).await?;
            for (revision, product) in read {
                let at = refs.iter().position(|r| r.id == product.id);
                let fragment = Rc::new(Fragment::write(ctx, product, pricing, revision)?);
                if let Some(at) = at {
                    self.keep(keys[at].clone(), fragment.clone());
                    found[at] = Some(fragment);
                }
            }
        }
        Ok(refs
            .into_iter()
            .zip(found)
            .filter_map(|(r, f)| Some((r, f?)))
            .collect())
    }
}
