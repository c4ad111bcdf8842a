//! `/docs/api`: how software uses the HTTP API: keys, the flow from composing
//! to downloading with curl, and the errors. The reference is the OpenAPI
//! document the server generates at `/api/v1/openapi.json`.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::meta::PageMeta;
use domain::error::PROBLEM_KINDS;

/// One step of the flow: what it does and the curl command that does it.
#[component]
fn Step(title: &'static str, children: Children, curl: &'static str) -> impl IntoView {
    view! {
        <h3>{title}</h3>
        {children()}
        <pre><code>{curl}</code></pre>
    }
}

/// The API's documentation page.
#[component]
pub fn ApiDocsPage() -> impl IntoView {
    view! {
        <PageMeta
            title="API"
            description="Compose, license and download original music from your own software with MixTape's HTTP API: keys, the flow with curl, and the errors."
        />
        <article class="narrow docs">
            <h1>"The MixTape API"</h1>
            <p class="lead">
                "Your software can do what you do on this site: compose a piece with MixTape's neural networks, listen to it, buy its exclusive rights and download it. "
                "The API speaks JSON under " <code>"/api/v1"</code> ". Its full reference is the OpenAPI 3.1 document at "
                <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> ", generated from the server's own code."
            </p>

            <h2 id="authentication">"Authentication"</h2>
            <p>
                "Make a key on " <A href="/account">"your account page"</A> " and send it with every request as "
                <code>"Authorization: Bearer <key>"</code> ". The key is shown once, when you make it: store it as you would a password. "
                "A key acts for your account: pieces it composes are yours, in your library on this site too. "
                "Revoke a key on the same page; requests with it are refused from then on. The API uses no cookies."
            </p>
            <pre><code>"export MIXTAPE_KEY=mtk_…   # your key\nexport MIXTAPE=https://mixtape.example   # this site's address"</code></pre>

            <h2 id="flow">"Compose, listen, buy, download"</h2>
            <Step title="1. See what can compose" curl="curl -H \"Authorization: Bearer $MIXTAPE_KEY\" $MIXTAPE/api/v1/instruments">
                <p>"The instruments with a trained model, and each setting's limits and default."</p>
            </Step>
            <Step
                title="2. Compose a piece"
                curl="curl -i -X POST $MIXTAPE/api/v1/pieces \\\n  -H \"Authorization: Bearer $MIXTAPE_KEY\" -H 'Content-Type: application/json' \\\n  -d '{\"instrument\": \"piano\", \"length_seconds\": 30, \"tempo_bpm\": 100, \"meter\": \"3/4\", \"energy\": 4, \"tonic\": 2, \"mode\": \"minor\", \"creativity\": 1.0}'"
            >
                <p>
                    "Settings you leave out take their defaults. " <code>"tonic"</code> " is a pitch class (0 is C, 2 is D, 11 is B); leave it and "
                    <code>"mode"</code> " out for any key. " <code>"energy"</code> " runs from 1 (calm) to 5 (lively); "
                    <code>"meter"</code> " is " <code>"4/4"</code> ", " <code>"3/4"</code> " or " <code>"6/8"</code>
                    " (its tempo in dotted quarters), one of the instrument's " <code>"meters"</code> " in " <code>"GET /api/v1/instruments"</code> ". "
                    "Leave " <code>"seed"</code> " out for a new piece each time. "
                    "The answer is " <code>"202 Accepted"</code> " with the generation, and its address in " <code>"Location"</code> "."
                </p>
                <p>
                    "To start the piece from your own motif, add it as notes, "
                    <code>"\"motif\": [{\"pitch\": 60, \"start\": 0, \"length\": 0.5}, …]"</code>
                    " (MIDI pitches, beats from the first note, an optional " <code>"velocity"</code>
                    "), or as a standard MIDI file of at most 1 MiB in base64, "
                    <code>"\"motif_midi\": \"$(base64 -w0 jingle.mid)\""</code>
                    ", whose first notes (at most 128 within 8 bars) are the motif. It may last at most half the piece. "
                    "The piece plays it in the piece's key and continues it; a motif that is a sold piece's music is refused with 409."
                </p>
            </Step>
            <Step title="3. Wait for it" curl="curl -H \"Authorization: Bearer $MIXTAPE_KEY\" $MIXTAPE/api/v1/generations/<id>">
                <p>
                    "Poll every second or two: " <code>"status"</code> " is " <code>"queued"</code> " (with " <code>"ahead"</code>
                    ", the pieces before it), " <code>"composing"</code> ", " <code>"done"</code> " (with " <code>"piece_id"</code>
                    ") or " <code>"failed"</code> " (with " <code>"message"</code> "). A piece takes a few seconds."
                </p>
            </Step>
            <Step title="4. Listen" curl="curl -H \"Authorization: Bearer $MIXTAPE_KEY\" $MIXTAPE/api/v1/pieces/<piece_id>\ncurl -H \"Authorization: Bearer $MIXTAPE_KEY\" -o preview.ogg $MIXTAPE/api/v1/pieces/<piece_id>/preview.ogg">
                <p>
                    "The piece: its settings (with the seed that composes it again), length, key, whether it is for sale and at what price, and "
                    <code>"links"</code> ": its preview, its page on this site, and where to buy it. "
                    <code>"GET /api/v1/pieces?page=1"</code> " lists your pieces, newest first; " <code>"DELETE /api/v1/pieces/<id>"</code> " deletes one that is not sold."
                </p>
            </Step>
            <Step
                title="5. Buy its exclusive rights"
                curl="curl -X POST $MIXTAPE/api/v1/pieces/<piece_id>/purchase \\\n  -H \"Authorization: Bearer $MIXTAPE_KEY\" -H 'Content-Type: application/json' \\\n  -H \"Idempotency-Key: $(uuidgen)\" \\\n  -d '{\"name\": \"Ada Lovelace\", \"number\": \"4242 4242 4242 4242\", \"expiry\": \"12/30\", \"cvv\": \"123\", \"licensee\": \"Analytical Engines Ltd\"}'"
            >
                <p>
                    "Each piece is sold once, only to the account that composed it, and a piece too close to one already sold cannot be sold. "
                    "Send a new " <code>"Idempotency-Key"</code> " with each purchase and the same one when you retry it (after a timeout, say): "
                    "a retry answers the first attempt's outcome and never charges twice. "
                    "The answer is the piece, now with its " <code>"copyright_id"</code> " and its download links. "
                    "Payments go to a sandbox gateway: test cards are accepted, no real card is charged."
                </p>
            </Step>
            <Step
                title="6. Download"
                curl="curl -H \"Authorization: Bearer $MIXTAPE_KEY\" -o piece.wav $MIXTAPE/api/v1/pieces/<piece_id>/full.wav\ncurl -H \"Authorization: Bearer $MIXTAPE_KEY\" -o piece.mid $MIXTAPE/api/v1/pieces/<piece_id>/piece.mid\ncurl -H \"Authorization: Bearer $MIXTAPE_KEY\" $MIXTAPE/api/v1/pieces/<piece_id>/certificate"
            >
                <p>"The full WAV, the MIDI file and the licence certificate, for the owner of the rights. Anyone can check a copyright ID at " <code>"/verify/<copyright_id>"</code> "."</p>
            </Step>

            <h2 id="limits">"Limits"</h2>
            <p>
                "Composing is limited per key and per account, and buying per account, as on this site; the composers' queue has a length. "
                "Past a limit the answer is " <code>"429"</code> " with " <code>"Retry-After"</code> ". Request bodies are at most 16 KiB."
            </p>

            <h2 id="errors">"Errors"</h2>
            <p>
                "Every error is " <code>"application/problem+json"</code> " (RFC 9457): " <code>"type"</code> " links to its kind below, "
                <code>"title"</code> " names the kind, " <code>"status"</code> " is the HTTP status and " <code>"detail"</code>
                " says what went wrong this time, for a person. An invalid request also lists " <code>"errors"</code> ", one per field:"
            </p>
            <pre><code>"{\n  \"type\": \"/docs/api#invalid\",\n  \"title\": \"Invalid request\",\n  \"status\": 422,\n  \"detail\": \"Some fields are invalid; each has its message in `errors`.\",\n  \"errors\": [{\"field\": \"tempo_bpm\", \"message\": \"Enter a tempo in whole beats per minute from 40 to 220.\"}]\n}"</code></pre>
            <dl class="problems">
                {PROBLEM_KINDS
                    .iter()
                    .map(|kind| view! {
                        <dt id=kind.anchor>
                            <code>{format!("{} /docs/api#{}", kind.status, kind.anchor)}</code>
                            " " {kind.title}
                        </dt>
                        <dd>{kind.meaning}</dd>
                    })
                    .collect_view()}
            </dl>
        </article>
    }
}
