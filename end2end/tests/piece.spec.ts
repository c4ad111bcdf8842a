import { expect, test } from "@playwright/test";

test("compose a piano piece, land on its page and hear the preview", async ({ page }) => {
  await page.goto("/instruments");
  await page.getByLabel("Instrument", { exact: true }).selectOption("piano");
  await page.getByLabel("Length (seconds)").fill("20");
  await page.getByLabel("Seed (optional)").fill("7");
  await page.getByRole("button", { name: "Compose" }).click();

  await expect(page).toHaveURL(/\/pieces\/\d+$/, { timeout: 20_000 });
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Piano piece No\. [0-9A-Z]+$/);
  await expect(page).toHaveTitle(/^Piano piece No\. [0-9A-Z]+ · MixTape$/);
  const notes = page.locator(".piano-roll .roll-note");
  expect(await notes.count()).toBeGreaterThan(10);
  // 20 s in 4/4 at 100 BPM: a bar line every 2.4 s.
  expect(await page.locator(".piano-roll .bar-line").count()).toBeGreaterThanOrEqual(7);
  await expect(page.locator(".piece-facts")).toContainText("4/4");

  const time = page.getByTestId("player-time");
  await expect(time).toHaveText(/^0:00 \/ 0:\d\d$/);
  const playhead = page.locator(".piano-roll .playhead");
  const x = async () => Number(await playhead.getAttribute("x1"));
  expect(await x()).toBe(0);

  // Clicks before hydration do nothing, so click until the player answers.
  const play = page.getByRole("button", { name: "Play" });
  await expect(async () => {
    await play.click();
    await expect(page.getByRole("button", { name: "Pause" })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });

  // The audio plays: the clock and the playhead move on.
  await expect(time).not.toHaveText(/^0:00 /, { timeout: 10_000 });
  const first = await x();
  expect(first).toBeGreaterThan(0);
  await expect.poll(x, { timeout: 5_000 }).toBeGreaterThan(first);

  // Pause stops it; a click on the roll seeks there.
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(play).toBeVisible();
  const roll = page.locator(".piano-roll");
  const box = (await roll.boundingBox())!;
  await roll.click({ position: { x: box.width * 0.75, y: box.height / 2 } });
  await expect.poll(x).toBeGreaterThan(700);

  // The keyboard works too: Home goes back to the start.
  await page.locator(".player").focus();
  await page.keyboard.press("Home");
  await expect.poll(x).toBe(0);
});

test("a missing piece answers 404 with a way back", async ({ page }) => {
  for (const address of ["/pieces/999999", "/pieces/not-a-number"]) {
    const response = await page.goto(address);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Piece not found");
    await expect(page.getByRole("link", { name: "Compose a piece" })).toBeVisible();
  }
});

test("more like this keeps the settings with a new seed; regenerate opens them in the form", async ({ page }) => {
  await page.goto("/instruments", { waitUntil: "networkidle" });
  await page.getByLabel("Instrument", { exact: true }).selectOption("piano");
  await page.getByLabel("Length (seconds)").fill("15");
  await page.getByLabel("Tempo (BPM)").fill("120");
  await page.getByLabel("Seed (optional)").fill("7");
  await page.getByRole("button", { name: "Compose" }).click();
  await expect(page).toHaveURL(/\/pieces\/\d+$/, { timeout: 20_000 });
  const first = page.url();
  const facts = page.locator(".piece-facts");
  await expect(facts).toContainText("120 BPM");
  await expect(facts.locator("dt:has-text('Seed') + dd")).toHaveText("7");

  await page.waitForLoadState("networkidle");
  await page.getByRole("button", { name: "More like this" }).click();
  await expect(page).not.toHaveURL(first, { timeout: 20_000 });
  await expect(page).toHaveURL(/\/pieces\/\d+$/, { timeout: 20_000 });
  await expect(facts).toContainText("120 BPM");
  await expect(facts.locator("dt:has-text('Seed') + dd")).not.toHaveText("7");
  const seed = (await facts.locator("dt:has-text('Seed') + dd").textContent())!;

  await page.getByRole("link", { name: "Change settings and regenerate" }).click();
  await expect(page).toHaveURL(/\/instruments\?/);
  await expect(page.getByLabel("Length (seconds)")).toHaveValue("15");
  await expect(page.getByLabel("Tempo (BPM)")).toHaveValue("120");
  await expect(page.getByLabel("Seed (optional)")).toHaveValue(seed);
  await page.waitForLoadState("networkidle");
  await page.getByLabel("Tempo (BPM)").fill("90");
  await page.getByRole("button", { name: "Compose" }).click();
  await expect(page).toHaveURL(/\/pieces\/\d+$/, { timeout: 20_000 });
  await expect(facts).toContainText("90 BPM");
  await expect(facts.locator("dt:has-text('Seed') + dd")).toHaveText(seed);
});
