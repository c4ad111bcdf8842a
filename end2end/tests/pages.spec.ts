import { expect, test } from "@playwright/test";

test("landing page explains the product and leads to the instruments", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle("Original music for your ads · MixTape");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Original music for your ads");
  await expect(page.getByRole("heading", { name: "How it works" })).toBeVisible();
  await expect(page.locator('meta[name="description"]')).toHaveAttribute("content", /original music/);

  await page.getByRole("link", { name: "Choose an instrument" }).click();
  await expect(page).toHaveURL(/\/instruments$/);
  await expect(page).toHaveTitle("Instruments · MixTape");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Choose an instrument");
});

test("the instruments page hydrates: the creativity control responds", async ({ page }) => {
  await page.goto("/instruments");
  const output = page.locator("#creativity-value");
  await expect(output).toHaveText("1.00 (balanced)");

  // Only the hydrated wasm updates the output; the server-rendered HTML alone cannot.
  const slider = page.getByLabel("Creativity");
  await expect(async () => {
    await slider.fill("1.4");
    await expect(output).toHaveText("1.40 (adventurous)", { timeout: 500 });
  }).toPass({ timeout: 15_000 });
  await slider.fill("0.6");
  await expect(output).toHaveText("0.60 (safe)");
});

test("the meter offers what the chosen instrument's model knows; energy says its level", async ({ page }) => {
  await page.goto("/instruments");
  const meter = page.getByLabel("Meter", { exact: true });
  const energy = page.locator("#energy-value");
  await expect(energy).toHaveText("3 (moderate)");
  // Only the hydrated page follows the instrument; retry until it does.
  await expect(async () => {
    await page.getByLabel("Instrument", { exact: true }).selectOption("folk");
    await expect(meter.locator("option")).toHaveText(["4/4 (march, pop)", "6/8 (jig; tempo in dotted quarters)"], { timeout: 500 });
  }).toPass({ timeout: 15_000 });
  await page.getByLabel("Instrument", { exact: true }).selectOption("cello");
  await expect(meter.locator("option")).toHaveText(["4/4 (march, pop)"]);
  await page.getByLabel("Energy", { exact: true }).fill("5");
  await expect(energy).toHaveText("5 (energetic)");
  // Each instrument's examples, one per energy, wait to be played.
  const examples = page.locator(".instrument-card").first().locator("audio");
  await expect(examples).toHaveCount(5);
  await expect(examples.first()).toHaveAttribute("src", /^\/examples\/\w+\/1\.ogg$/);
});

test("every form control has a label", async ({ page }) => {
  await page.goto("/instruments");
  for (const name of ["Instrument", "Length (seconds)", "Tempo (BPM)", "Meter", "Energy", "Key", "Mode", "Creativity", "Seed (optional)"]) {
    await expect(page.getByLabel(name, { exact: true })).toBeAttached();
  }
});

test("on a phone the menu button opens the navigation", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto("/");
  const toggle = page.getByRole("button", { name: "Menu" });
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeHidden();
  await expect(async () => {
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true", { timeout: 500 });
  }).toPass({ timeout: 15_000 });
  await expect(nav).toBeVisible();
  await nav.getByRole("link", { name: "Instruments" }).click();
  await expect(page).toHaveURL(/\/instruments$/);
  await expect(nav).toBeHidden();
});

test("unknown addresses get the 404 page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page).toHaveTitle("Page not found · MixTape");
  await page.getByRole("link", { name: "Back to the home page" }).click();
  await expect(page).toHaveURL(/\/$/);
});
