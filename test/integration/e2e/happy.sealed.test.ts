// The happy path of happy.test.ts with the kiosk in sealed mode (DESIGN §3
// "Sealed mode"; docs/sealed-mode.md): the center sends a package sealed to
// the kiosk, and the kiosk builds and runs the script itself.
process.env.CARDLINE_TEST_MODE = 'sealed';
await import('./happy.test.js');
