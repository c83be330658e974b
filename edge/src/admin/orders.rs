//! The dashboard and the orders list.

use commerce::order::list::{self, OrderFilter};
use commerce::params::Page;
use commerce::staff::Permission;
use commerce::ApiError;
use storefront::admin::{dashboard_page, order_filter, order_page, orders_page, OrderQuery};
use worker::Response;

use super::render;
use crate::context::Cx;

/// Orders on the dashboard.
const RECENT: u32 = 10;

/// `GET /admin`: today's figures and the latest orders, for members who read orders.
pub async fn dashboard(cx: &mut Cx) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        if !member.may(Permission::OrderRead) {
            return dashboard_page(shell, None, &[]);
        }
        let figures = list::today(client, &member.store_id).await?;
        let page = Page {
            limit: RECENT,
            offset: 0,
        };
        let (recent, _) =
            list::list(client, &member.store_id, &OrderFilter::default(), page).await?;
        dashboard_page(shell, Some(&figures), &recent)
    })
    .await
}

/// `GET /admin/orders?status=&payment=&from=&to=&q=&offset=`
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    let query: OrderQuery = cx.query_as()?;
    let filter = order_filter(&query)?;
    let page = order_page(&query)?;
    render(cx, async |client, member, shell| {
        let (orders, total) = list::list(client, &member.store_id, &filter, page).await?;
        orders_page(shell, &query, &orders, total, page)
    })
    .await
}
