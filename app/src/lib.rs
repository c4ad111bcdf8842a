//! MixTape's pages and components, with the server functions they call (thin:
//! each reads its request and calls the `services` crate).
//!
//! Compiled twice: with `ssr` into the server, which renders every page to HTML,
//! and with `hydrate` into the browser's wasm, which makes that HTML interactive.

pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

pub use domain::error::{AppError, FieldError};

use pages::{
    account, api_docs, api_keys, generation, instruments, landing, layout, library, not_found,
    piece, purchase, rights,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#1d1b3a" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: site chrome and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/mixtape.css" />
        <Router>
            <layout::SiteHeader />
            <main id="main">
                <Routes fallback=not_found::NotFoundPage>
                    <Route path=path!("") view=landing::LandingPage />
                    <Route path=path!("/instruments") view=instruments::InstrumentsPage />
                    <Route path=path!("/register") view=account::RegisterPage />
                    <Route path=path!("/login") view=account::LoginPage />
                    <Route path=path!("/library") view=library::LibraryPage />
                    <Route path=path!("/account") view=api_keys::AccountPage />
                    <Route path=path!("/docs/api") view=api_docs::ApiDocsPage />
                    // Rendered whole before it is sent, so that a missing piece answers 404.
                    <Route path=path!("/pieces/:id") view=piece::PiecePage ssr=SsrMode::Async />
                    <Route path=path!("/generations/:id") view=generation::GenerationPage ssr=SsrMode::Async />
                    <Route path=path!("/pieces/:id/buy") view=purchase::PaymentPage />
                    <Route path=path!("/pieces/:id/certificate") view=rights::CertificatePage ssr=SsrMode::Async />
                    <Route path=path!("/verify/:copyright_id") view=rights::VerifyPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <layout::SiteFooter />
        </Router>
    }
}
