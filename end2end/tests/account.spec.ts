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

test("make an API key on the account page, use it, revoke it", async ({ page, request }) => {
  const nav = page.getByRole("navigation", { name: "Main" });
  await page.goto("/register", { waitUntil: "networkidle" });
  await page.getByLabel("Your name or company").fill("Reel Agency");
  await page.getByLabel("Email").fill(`keys-${Date.now()}-${Math.floor(Math.random() * 1e6)}@agency.example`);
  await page.getByLabel("Password").fill("tulip sunrise harbour");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/instruments$/);

  await nav.getByRole("link", { name: "Reel Agency" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await page.waitForLoadState("networkidle");
  await page.getByLabel("Name of a new key").fill("Video tool");
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-key-secret").textContent()) ?? "";
  expect(secret).toMatch(/^mtk_[0-9a-f]{64}$/);
  const row = page.getByRole("row", { name: /Video tool/ });
  await expect(row).toContainText(secret.slice(0, 12));

  const auth = { Authorization: `Bearer ${secret}` };
  const ok = await request.get("/api/v1/instruments", { headers: auth });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).instruments.length).toBeGreaterThan(0);

  await row.getByRole("button", { name: "Revoke Video tool" }).click();
  await expect(row.getByText("Revoked")).toBeVisible();
  const refused = await request.get("/api/v1/instruments", { headers: auth });
  expect(refused.status()).toBe(401);
  expect(refused.headers()["content-type"]).toBe("application/problem+json");

  await page.getByRole("link", { name: "How the API works" }).click();
  await expect(page).toHaveURL(/\/docs\/api$/);
  await expect(page.getByRole("heading", { name: "The MixTape API" })).toBeVisible();
});
