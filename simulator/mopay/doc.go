// Package mopay simulates Mopay's profile and notifications & messaging
// actions: the HMAC-SHA512 signed headers, the REQUEST/DATA/ERRORS envelope,
// the timestamp-cursor pagination and the state behind them, as
// specs/mopay.yaml describes them. The signing rule and the envelope are the
// contract's (specs/wire/mopay), which the suite shares.
package mopay
