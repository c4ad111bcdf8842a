import { expect, test, type Page } from "@playwright/test";

/** A format-0 standard MIDI file at 120 BPM of notes given as [pitch, start beat, beats]. */
function midiFile(notes: [number, number, number][]): Buffer {
  const division = 480;
  const varlen = (value: number): number[] => {
    const bytes = [value & 0x7f];
    while ((value >>= 7) > 0) bytes.unshift((value & 0x7f) | 0x80);
    return bytes;
  };
  const events: [number, number[]][] = [];
  for (const [pitch, start, beats] of notes) {
    events.push([Math.round(start * division), [0x90, pitch, 96]]);
    events.push([Math.round((start + beats) * division), [0x80, pitch, 0]]);
  }
  // Note-offs before note-ons at one tick.
  events.sort((a, b) => a[0] - b[0] || a[1][0] - b[1][0]);
  const track: number[] = [0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20];
  let now = 0;
  for (const [tick, bytes] of events) {
    track.push(...varlen(tick - now), ...bytes);
    now = tick;
  }
  track.push(0x00, 0xff, 0x2f, 0x00);
  const length = [24, 16, 8, 0].map((shift) => (track.length >>> shift) & 0xff);
  return Buffer.from([
    ...Buffer.from("MThd"), 0, 0, 0, 6, 0, 0, 0, 1, division >> 8, division & 0xff,
    ...Buffer.from("MTrk"), ...length, ...track,
  ]);
}

async function openForm(page: Page) {
  await page.goto("/instruments", { waitUntil: "networkidle" });
  await page.getByLabel("Instrument", { exact: true }).selectOption("piano");
}

/** Composes with the form and checks that the piece's roll starts with `count` motif notes. */
async function composeAndFindMotif(page: Page, count: number) {
  await page.getByRole("button", { name: "Compose" }).click();
  await expect(page).toHaveURL(/\/pieces\/\d+$/, { timeout: 30_000 });
  const motif = page.locator(".roll-note.motif");
  await expect(motif).toHaveCount(count);
  await expect(page.getByText("Your motif", { exact: true })).toBeVisible();
  // The motif comes first: every note of the continuation starts after its notes do.
  const starts = async (selector: string) =>
    page.locator(selector).evaluateAll((rects) => rects.map((r) => Number(r.getAttribute("x"))));
  const motifStarts = await starts(".roll-note.motif");
  const ownStarts = await starts(".roll-note:not(.motif)");
  expect(ownStarts.length).toBeGreaterThan(0);
  expect(Math.max(...motifStarts)).toBeLessThan(Math.min(...ownStarts));
}

test("eight notes played on the keyboard start the piece and show on its piano roll", async ({ page }) => {
  await openForm(page);
  const summary = page.getByTestId("motif-summary");
  await expect(summary).toHaveText("No motif: the piece starts from scratch.");
  const keyboard = page.getByRole("group", { name: "Keyboard: two octaves from middle C" });
  // Four notes with the mouse, held a moment each...
  for (const name of ["C4", "D4", "E4", "F4"]) {
    await keyboard.getByRole("button", { name, exact: true }).click({ delay: 150 });
    await page.waitForTimeout(120);
  }
  await expect(keyboard).toBeFocused();
  // ...and four with the computer's keys: G, H, J, K are G4, A4, B4 and C5.
  for (const key of ["g", "h", "j", "k"]) {
    await page.keyboard.down(key);
    await page.waitForTimeout(150);
    await page.keyboard.up(key);
    await page.waitForTimeout(120);
  }
  await expect(summary).toContainText("Your motif: 8 notes");
  await expect(page.locator(".motif-roll .motif-note")).toHaveCount(8);
  await page.getByRole("button", { name: "Play it back" }).click();

  // Cleared, and played again.
  await page.getByRole("button", { name: "Clear" }).click();
  await expect(summary).toHaveText("No motif: the piece starts from scratch.");
  for (const name of ["C4", "E4", "G4", "C5", "G4", "E4", "D4", "C4"]) {
    await keyboard.getByRole("button", { name, exact: true }).click({ delay: 150 });
    await page.waitForTimeout(120);
  }
  await expect(summary).toContainText("Your motif: 8 notes");
  await composeAndFindMotif(page, 8);
});

test("a motif uploaded as a MIDI file starts the piece", async ({ page }) => {
  await openForm(page);
  const tune: [number, number, number][] = [
    [67, 0, 1], [64, 1, 0.5], [65, 1.5, 0.5], [67, 2, 1], [72, 3, 1], [71, 4, 2],
  ];
  await page.getByLabel("Upload a MIDI file").setInputFiles({
    name: "my-jingle.mid",
    mimeType: "audio/midi",
    buffer: midiFile(tune),
  });
  await expect(page.getByTestId("motif-summary")).toContainText("Your motif: 6 notes, 6 beats");
  await composeAndFindMotif(page, 6);
});

test("a corrupt MIDI file gets one clear message and no motif", async ({ page }) => {
  await openForm(page);
  await page.getByLabel("Upload a MIDI file").setInputFiles({
    name: "broken.mid",
    mimeType: "audio/midi",
    buffer: Buffer.concat([Buffer.from("MThd"), Buffer.from([0, 0, 0, 6, 0, 0, 0, 1]), Buffer.from("garbage")]),
  });
  await expect(page.getByRole("alert")).toContainText("This is not a MIDI file MixTape can read");
  await expect(page.getByRole("alert")).toContainText("Choose a standard MIDI file (.mid).");
  await expect(page.getByTestId("motif-summary")).toHaveText("No motif: the piece starts from scratch.");
});
