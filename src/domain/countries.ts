// Country codes: ISO 3166-1 alpha-2 plus XK (Kosovo), with English names for display.
import countries from 'i18n-iso-countries';
import english from 'i18n-iso-countries/langs/en.json' with { type: 'json' };

countries.registerLocale(english);

/** XK is a user-assigned code widely used for Kosovo (EU, IMF, World Bank); ISO 3166-1 has no official one. */
const EXTRA_CODES: Record<string, string> = { XK: 'Kosovo' };

export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && (Object.hasOwn(EXTRA_CODES, code) || countries.isValid(code));
}

export function countryName(code: string): string | undefined {
  return EXTRA_CODES[code] ?? countries.getName(code, 'en');
}
