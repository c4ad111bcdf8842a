//! Addresses of pages that other pages link or redirect to, built in one
//! place so that a page and its links cannot disagree.

/// The page that follows generation `id` until its piece is composed.
// Only server functions redirect there so far; the browser's build leaves it out.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
pub fn generation(id: i64) -> String {
    format!("/generations/{id}")
}

/// The instruments page with its compose form filled in from `query`.
pub fn compose_form(query: &str) -> String {
    format!("/instruments?{query}")
}
