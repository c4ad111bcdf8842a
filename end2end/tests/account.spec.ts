import { expect, test } from "@playwright/test";

test("register, log out and log in again; the header follows", async ({ page }) => {
  const email = `owner-${Date.now()}-${Math.floor(Math.random() * 1e6)}@shop.example`;
  const password = "tulip sunrise harbour";
  const nav = page.getByRole("navigation", { name: "Main" });

  // Forms are used once the page's wasm has loaded and hydrated it.
  await page.goto("/register", { waitUntil: "networkidle" });
  await expect(page).toHaveTitle("Create an account · MixTape");
  await page.getByLabel("Your name or company").fill("Harbour Café");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page).toHaveURL(/\/instruments$/);
  await expect(nav.getByText("Harbour Café")).toBeVisible();

  await nav.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(nav.getByRole("link", { name: "Log in" })).toBeVisible();

  await nav.getByRole("link", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.waitForLoadState("networkidle");
  await page.getByLabel("Email").fill(email.toUpperCase());
  await page.getByLabel("Password").fill("a wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or the password is not right.");

  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/instruments$/);
  await expect(nav.getByText("Harbour Café")).toBeVisible();
});

test("registration explains a weak password beside its field", async ({ page }) => {
  await page.goto("/register", { waitUntil: "networkidle" });
  await page.getByLabel("Your name or company").fill("Weak Co");
  await page.getByLabel("Email").fill(`weak-${Date.now()}@shop.example`);
  await page.getByLabel("Password").fill("1234567890");
  await expect(async () => {
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.locator("#password-error")).toHaveText(
      "This password is too easy to guess; choose another one.",
      { timeout: 1_000 },
    );
  }).toPass({ timeout: 15_000 });
});
