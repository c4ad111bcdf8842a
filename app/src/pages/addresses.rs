//! Addresses of pages that server functions redirect to, built in one place
//! so that a page and its redirects cannot disagree.

/// The page that follows generation `id` until its piece is composed.
// Only server functions redirect there so far; the browser's build leaves it out.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
pub fn generation(id: i64) -> String {
    format!("/generations/{id}")
}
