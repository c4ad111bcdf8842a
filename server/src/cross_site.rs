//! Refuses state-changing requests that another site's page sent (cross-site
//! request forgery): browsers name the sending page's origin in `Origin` (or
//! at least `Referer`) on every POST, and it must be this server's.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Middleware: passes safe methods, and others only from this site.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || from_this_site(request.headers()) {
        next.run(request).await
    } else {
        tracing::warn!(
            origin = ?request.headers().get(header::ORIGIN),
            referer = ?request.headers().get(header::REFERER),
            path = %request.uri().path(),
            "cross-site request refused"
        );
        (
            StatusCode::FORBIDDEN,
            "This request came from another site, so it was refused.\n",
        )
            .into_response()
    }
}

/// Whether the page that sent the request is on this host. A request naming
/// no page at all is not from a browser (which always sends `Origin` on a
/// POST), so it cannot carry a visitor's cookies against their will.
fn from_this_site(headers: &HeaderMap) -> bool {
    let sender = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER));
    let Some(sender) = sender else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let sender_host = sender
        .to_str()
        .ok()
        .and_then(|s| s.parse::<Uri>().ok())
        .and_then(|uri| uri.authority().map(|a| a.as_str().to_ascii_lowercase()));
    match (host, sender_host) {
        (Some(host), Some(sender)) => host.eq_ignore_ascii_case(&sender),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::from_this_site;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_sending_page_must_be_on_this_host() {
        let host = (header::HOST, "mixtape.example:3000");
        assert!(from_this_site(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://mixtape.example:3000")
        ])));
        assert!(from_this_site(&headers(&[
            host.clone(),
            (header::ORIGIN, "https://MixTape.example:3000")
        ])));
        assert!(from_this_site(&headers(&[
            host.clone(),
            (header::REFERER, "http://mixtape.example:3000/instruments")
        ])));
        assert!(!from_this_site(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://evil.example")
        ])));
        assert!(!from_this_site(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://mixtape.example:3001")
        ])));
        assert!(!from_this_site(&headers(&[
            host.clone(),
            (header::ORIGIN, "null")
        ])));
        assert!(!from_this_site(&headers(&[
            host.clone(),
            (header::REFERER, "https://evil.example/mixtape.example:3000")
        ])));
        // Origin wins over Referer.
        assert!(!from_this_site(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://evil.example"),
            (header::REFERER, "http://mixtape.example:3000/")
        ])));
        // No sending page: not a browser.
        assert!(from_this_site(&headers(&[host])));
        // A page named, but no Host to compare it with.
        assert!(!from_this_site(&headers(&[(
            header::ORIGIN,
            "http://mixtape.example:3000"
        )])));
    }
}
