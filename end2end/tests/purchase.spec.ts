import { expect, Page, test } from "@playwright/test";

/** Composes a short piano piece as a new customer; returns the piece's title. */
async function composeAsNewCustomer(page: Page, name: string): Promise<string> {
  const email = `${name.toLowerCase().replace(/\W/g, "")}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@shop.example`;
  await page.goto("/instruments", { waitUntil: "networkidle" });
  await page.getByLabel("Instrument", { exact: true }).selectOption("piano");
  await page.getByLabel("Length (seconds)").fill("10");
  await page.getByRole("button", { name: "Compose" }).click();
  await expect(page).toHaveURL(/\/pieces\/\d+$/, { timeout: 20_000 });
  const title = (await page.getByRole("heading", { level: 1 }).textContent())!;
  const piece = page.url();

  await page.goto("/register", { waitUntil: "networkidle" });
  await page.getByLabel("Your name or company").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("tulip sunrise harbour");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("navigation", { name: "Main" }).getByText(name)).toBeVisible();
  await page.goto(piece, { waitUntil: "networkidle" });
  return title;
}

async function fillCard(page: Page, number: string) {
  await page.getByLabel("Name on card").fill("Ana Pereira");
  await page.getByLabel("Card number").fill(number);
  await page.getByLabel("Expiry (MM/YY)").fill("12/30");
  await page.getByLabel("CVV").fill("123");
}

test("buy a piece with the test card, download it, and verify its copyright ID", async ({ page }) => {
  const title = await composeAsNewCustomer(page, "Lumen Cafe");
  await expect(page.getByText("Exclusive rights: 250.00 INR")).toBeVisible();
  await page.getByRole("link", { name: "Buy exclusive rights" }).click();
  await expect(page).toHaveURL(/\/pieces\/\d+\/buy$/);
  await page.waitForLoadState("networkidle");

  // The browser checks the card before anything is sent.
  await fillCard(page, "4242 4242 4242 4241");
  await page.getByRole("button", { name: /^Pay / }).click();
  await expect(page.getByText("This card number is not valid")).toBeVisible();

  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByRole("button", { name: "Pay 250.00 INR" }).click();
  await expect(page).toHaveURL(/\/pieces\/\d+$/, { timeout: 10_000 });
  await expect(page.getByText("You own this piece.")).toBeVisible();
  const copyrightId = (await page.getByRole("link", { name: /^MT-\d{4}-/ }).textContent())!;
  expect(copyrightId).toMatch(/^MT-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);

  const wav = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download WAV" }).click();
  expect((await wav).suggestedFilename()).toBe(`${copyrightId}.wav`);

  await page.getByRole("link", { name: "Licence certificate" }).click();
  await expect(page.getByRole("heading", { name: "Certificate of exclusive rights" })).toBeVisible();
  const certificate = page.locator(".certificate .piece-facts");
  await expect(certificate.getByText(copyrightId, { exact: true })).toBeVisible();
  await expect(certificate.getByText("Lumen Cafe")).toBeVisible();
  await expect(certificate.getByText(title)).toBeVisible();

  await page.getByRole("link", { name: `/verify/${copyrightId}` }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Copyright ID ${copyrightId}`);
  await expect(page.getByText(`belong to Lumen Cafe`)).toBeVisible();

  await page.goto("/library", { waitUntil: "networkidle" });
  await expect(page.getByRole("heading", { name: "My purchases" })).toBeVisible();
  await expect(page.getByText(copyrightId)).toBeVisible();
});

test("a declined card says so beside nothing bought, and the piece stays for sale", async ({ page }) => {
  await composeAsNewCustomer(page, "Bloom Florist");
  await page.getByRole("link", { name: "Buy exclusive rights" }).click();
  await page.waitForLoadState("networkidle");
  await fillCard(page, "4000 0000 0000 0002");
  await page.getByRole("button", { name: "Pay 250.00 INR" }).click();
  await expect(page.getByRole("alert")).toHaveText("Your card was declined. Please try another card.");
  await expect(page).toHaveURL(/\/buy$/);

  await page.goto(page.url().replace(/\/buy$/, ""));
  await expect(page.getByRole("link", { name: "Buy exclusive rights" })).toBeVisible();
  await page.goto("/library", { waitUntil: "networkidle" });
  await expect(page.getByRole("heading", { name: "My purchases" })).toHaveCount(0);
});
