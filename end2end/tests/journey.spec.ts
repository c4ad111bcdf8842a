import { expect, test } from "@playwright/test";

test("a visitor composes, hears it, registers, and finds the piece in the library after logging in again", async ({ page }) => {
  const email = `journey-${Date.now()}-${Math.floor(Math.random() * 1e6)}@shop.example`;
  const password = "tulip sunrise harbour";
  const nav = page.getByRole("navigation", { name: "Main" });

  await page.goto("/instruments", { waitUntil: "networkidle" });
  await page.getByLabel("Instrument", { exact: true }).selectOption("piano");
  await page.getByRole("button", { name: "Compose" }).click();
  await expect(page).toHaveURL(/\/pieces\/\d+$/, { timeout: 20_000 });
  const title = (await page.getByRole("heading", { level: 1 }).textContent())!;
  expect(title).toMatch(/^Piano piece No\. [0-9A-Z]+$/);

  await expect(async () => {
    await page.getByRole("button", { name: "Play" }).click();
    await expect(page.getByRole("button", { name: "Pause" })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(page.getByTestId("player-time")).not.toHaveText(/^0:00 /, { timeout: 10_000 });
  await page.getByRole("button", { name: "Pause" }).click();

  await nav.getByRole("link", { name: "My pieces" }).click();
  await expect(page).toHaveURL(/\/library$/);
  await expect(page.getByRole("link", { name: title })).toBeVisible();
  await expect(page.getByText("kept in this browser's session")).toBeVisible();

  await page.goto("/register", { waitUntil: "networkidle" });
  await page.getByLabel("Your name or company").fill("Journey Ltd");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(nav.getByText("Journey Ltd")).toBeVisible();

  await nav.getByRole("link", { name: "My pieces" }).click();
  await expect(page.getByRole("link", { name: title })).toBeVisible();
  await expect(page.getByText("kept in this browser's session")).toHaveCount(0);

  await nav.getByRole("button", { name: "Log out" }).click();
  await expect(nav.getByRole("link", { name: "Log in" })).toBeVisible();
  await page.goto("/library");
  await expect(page.getByRole("link", { name: title })).toHaveCount(0);

  await page.goto("/login", { waitUntil: "networkidle" });
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(nav.getByText("Journey Ltd")).toBeVisible();
  await nav.getByRole("link", { name: "My pieces" }).click();
  await expect(page.getByRole("link", { name: title })).toBeVisible();
});
