import { expect, test } from "@playwright/test";

test("deleting a piece from the library asks first and can be called off", async ({ page }) => {
  await page.goto("/instruments", { waitUntil: "networkidle" });
  await page.getByLabel("Instrument", { exact: true }).selectOption("piano");
  await page.getByLabel("Length (seconds)").fill("10");
  await page.getByRole("button", { name: "Compose" }).click();
  await expect(page).toHaveURL(/\/pieces\/\d+$/, { timeout: 20_000 });
  const title = (await page.getByRole("heading", { level: 1 }).textContent())!;

  await page.goto("/library", { waitUntil: "networkidle" });
  const row = page.locator(".piece-row", { has: page.getByRole("link", { name: title }) });
  await row.getByRole("button", { name: `Delete ${title}` }).click();
  await expect(row.getByText(`Delete ${title} for good?`)).toBeVisible();
  await row.getByRole("button", { name: "Keep it" }).click();
  await expect(row.getByRole("button", { name: `Delete ${title}` })).toBeVisible();

  await page.reload({ waitUntil: "networkidle" });
  await expect(page.getByRole("link", { name: title })).toBeVisible();
  await row.getByRole("button", { name: `Delete ${title}` }).click();
  await row.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByRole("link", { name: title })).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("link", { name: title })).toHaveCount(0);
});
