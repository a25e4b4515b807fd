use actix_web::http::header;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::AppError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// `?limit=&offset=`; lists are ordered by id, which is creation order.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1-500 (default 50).
    #[param(minimum = 1, maximum = 500, default = 50, example = 50)]
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    #[param(minimum = 0, default = 0, example = 0)]
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct Pagination {
    pub limit: i64,
    pub offset: i64,
    /// The list's path and its other query parameters, for `Link`.
    pub link_base: LinkBase,
}

impl Pagination {
    /// The page the use case is asked for.
    pub fn page(&self) -> crate::ops::Page {
        crate::ops::Page {
            limit: self.limit,
            offset: self.offset,
        }
    }
}

/// Where a list was asked for: its path and every parameter but `limit`
/// and `offset`, so links to other pages repeat the same filters and sort.
#[derive(Debug, Clone, Default)]
pub struct LinkBase {
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl LinkBase {
    fn to_page(&self, limit: i64, offset: i64) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(&self.query);
        query.append_pair("limit", &limit.to_string());
        query.append_pair("offset", &offset.to_string());
        format!("{}?{}", self.path, query.finish())
    }
}

impl PageParams {
    pub fn validate(self, link_base: LinkBase) -> Result<Pagination, AppError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        let offset = self.offset.unwrap_or(0);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if offset < 0 {
            return Err(AppError::field("offset", "must not be negative"));
        }
        Ok(Pagination {
            limit,
            offset,
            link_base,
        })
    }
}

/// 200 with one page of a list and, when there are other pages, an
/// RFC 8288 `Link` to the `next` and `prev` ones (and the `first` and
/// `last`), repeating the request's filters and sort.
pub fn respond<T: Serialize>(items: Vec<T>, total: i64, page: Pagination) -> HttpResponse {
    let links = page_links(total, &page);
    let mut response = HttpResponse::Ok();
    if !links.is_empty() {
        response.insert_header((header::LINK, links));
    }
    response.json(Page::new(items, total, page))
}

fn page_links(total: i64, page: &Pagination) -> String {
    let (limit, offset) = (page.limit, page.offset);
    let mut links = Vec::new();
    let mut link = |offset: i64, rel: &str| {
        links.push(format!(
            "<{}>; rel=\"{rel}\"",
            page.link_base.to_page(limit, offset)
        ));
    };
    if offset.saturating_add(limit) < total {
        link(offset + limit, "next");
    }
    if offset > 0 {
        link(offset.saturating_sub(limit).max(0), "prev");
    }
    if offset > 0 || offset.saturating_add(limit) < total {
        link(0, "first");
        // The last page starts at the last multiple of `limit` before `total`.
        link(((total - 1).max(0) / limit) * limit, "last");
    }
    links.join(", ")
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items matching the filters, across all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: i64, page: Pagination) -> Page<T> {
        Page {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }
    }
}
