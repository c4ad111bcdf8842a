//! Pages, their server functions and the site's chrome. A server function
//! is a thin adapter: it reads who asks from the request (`request`) and
//! calls a service.

pub mod account;
pub mod addresses;
pub mod api_docs;
pub mod api_keys;
pub mod generation;
pub mod instruments;
pub mod landing;
pub mod layout;
pub mod library;
pub mod not_found;
pub mod piece;
pub mod purchase;
#[cfg(feature = "ssr")]
pub mod request;
pub mod rights;
