//! Site chrome shared by every page: header with navigation and footer.

use leptos::prelude::*;
use leptos_router::components::A;

/// The header: brand and main navigation, collapsed behind a menu button on phones.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let menu_open = RwSignal::new(false);
    let close_menu = move |_| menu_open.set(false);

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"♫"</span>
                " MixTape"
            </A>
            <button
                class="menu-toggle"
                type="button"
                aria-controls="site-nav"
                aria-expanded=move || menu_open.get().to_string()
                on:click=move |_| menu_open.update(|open| *open = !*open)
            >
                <span class="visually-hidden">"Menu"</span>
                <span aria-hidden="true">"☰"</span>
            </button>
            <nav id="site-nav" class="site-nav" class:open=move || menu_open.get() aria-label="Main">
                <A href="/" on:click=close_menu>"Home"</A>
                <A href="/instruments" on:click=close_menu>"Instruments"</A>
                <A href="/library" on:click=close_menu>"My pieces"</A>
                <crate::pages::account::AccountNav />
            </nav>
        </header>
    }
}

/// The footer.
#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>"MixTape: original music for your business, composed by a neural network and sold once."</p>
        </footer>
    }
}
