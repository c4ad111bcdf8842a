//! Refuses state-changing requests that another site's page sent (cross-site
//! request forgery). Browsers name the sending page's origin in `Origin` on
//! every POST, and say whether it is this site's in `Sec-Fetch-Site`, a header
//! no page's script can set; a request with neither cannot be told apart from
//! a forged one, so it is refused too.

use std::fmt;
use std::str::FromStr;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The site's origin as browsers see it: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicOrigin {
    scheme: String,
    host: String,
    port: u16,
}

impl PublicOrigin {
    /// Whether `origin` (an `Origin` header's value) is this one.
    fn is(&self, origin: &str) -> bool {
        origin.parse::<PublicOrigin>().is_ok_and(|o| o == *self)
    }
}

impl FromStr for PublicOrigin {
    type Err = String;

    fn from_str(text: &str) -> Result<PublicOrigin, String> {
        let uri: Uri = text
            .parse()
            .map_err(|err| format!("`{text}` is not an origin: {err}"))?;
        let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
        let port = match scheme.as_deref() {
            Some("http") => uri.port_u16().unwrap_or(80),
            Some("https") => uri.port_u16().unwrap_or(443),
            _ => return Err(format!("`{text}` must start with http:// or https://")),
        };
        let host = uri
            .host()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| format!("`{text}` names no host"))?;
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(format!(
                "`{text}` must be an origin only, such as https://mixtape.example"
            ));
        }
        Ok(PublicOrigin {
            scheme: scheme.unwrap_or_default(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

impl fmt::Display for PublicOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// Middleware: passes safe methods, and others only from this site, which
/// `public` names when it is configured.
pub async fn refuse_cross_site(
    State(public): State<Option<PublicOrigin>>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || from_this_site(request.headers(), public.as_ref()) {
        next.run(request).await
    } else {
        tracing::warn!(
            origin = ?request.headers().get(header::ORIGIN),
            fetch_site = ?request.headers().get("sec-fetch-site"),
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

/// Whether the page that sent the request is this site's: its `Origin` is
/// the public origin (or, without one configured, on the `Host` asked for);
/// without `Origin`, the browser says `Sec-Fetch-Site: same-origin`.
fn from_this_site(headers: &HeaderMap, public: Option<&PublicOrigin>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return headers
            .get("sec-fetch-site")
            .is_some_and(|site| site == "same-origin");
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    match public {
        Some(public) => public.is(origin),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let sender = origin
                .parse::<Uri>()
                .ok()
                .and_then(|uri| uri.authority().map(|a| a.as_str().to_owned()));
            matches!((host, sender), (Some(host), Some(sender)) if host.eq_ignore_ascii_case(&sender))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{PublicOrigin, from_this_site};
    use axum::http::{HeaderMap, HeaderValue, header};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn without_a_public_origin_the_sending_page_must_be_on_this_host() {
        let host = ("host", "mixtape.example:3000");
        let passes = |pairs: &[(&'static str, &'static str)]| from_this_site(&headers(pairs), None);
        assert!(passes(&[host, ("origin", "http://mixtape.example:3000")]));
        assert!(passes(&[host, ("origin", "https://MixTape.example:3000")]));
        assert!(!passes(&[host, ("origin", "http://evil.example")]));
        assert!(!passes(&[host, ("origin", "http://mixtape.example:3001")]));
        assert!(!passes(&[host, ("origin", "null")]));
        // A page named, but no Host to compare it with.
        assert!(!passes(&[("origin", "http://mixtape.example:3000")]));
        // Origin wins over Sec-Fetch-Site.
        assert!(!passes(&[
            host,
            ("origin", "http://evil.example"),
            ("sec-fetch-site", "same-origin")
        ]));
        // Without Origin, the browser's word on where the page is.
        assert!(passes(&[host, ("sec-fetch-site", "same-origin")]));
        for site in ["same-site", "cross-site", "none", ""] {
            assert!(!passes(&[host, ("sec-fetch-site", site)]), "{site}");
        }
        // Neither: nothing says where it came from, and a Referer is not enough.
        assert!(!passes(&[host]));
        assert!(!passes(&[
            host,
            (header::REFERER.as_str(), "http://mixtape.example:3000/")
        ]));
    }

    #[test]
    fn a_public_origin_decides_whatever_the_host_scheme_included() {
        let public: PublicOrigin = "https://MixTape.example/".parse().unwrap();
        let passes =
            |pairs: &[(&'static str, &'static str)]| from_this_site(&headers(pairs), Some(&public));
        let proxied = ("host", "10.0.0.7:3000");
        assert!(passes(&[proxied, ("origin", "https://mixtape.example")]));
        assert!(passes(&[
            proxied,
            ("origin", "https://mixtape.example:443")
        ]));
        assert!(!passes(&[proxied, ("origin", "http://mixtape.example")]));
        assert!(!passes(&[proxied, ("origin", "http://10.0.0.7:3000")]));
        assert!(!passes(&[
            ("host", "mixtape.example"),
            ("origin", "https://evil.example")
        ]));
    }

    #[test]
    fn a_public_origin_is_a_scheme_a_host_and_maybe_a_port() {
        assert_eq!(
            "http://localhost:3000"
                .parse::<PublicOrigin>()
                .unwrap()
                .to_string(),
            "http://localhost:3000"
        );
        for bad in [
            "mixtape.example",
            "ftp://mixtape.example",
            "https://mixtape.example/shop",
            "https://",
        ] {
            assert!(bad.parse::<PublicOrigin>().is_err(), "{bad}");
        }
    }
}
