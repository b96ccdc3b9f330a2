@mopay @auth @mopay-account
Feature: Mopay request signing
  As an integrator of Mopay
  I want a request signed exactly as the vendor documents to be accepted, and every other one refused
  So that my client authenticates against the real Mopay on the first try

  The signature is lowercase hex of HMAC-SHA512, keyed by the secret, over
  JSON.stringify({timestamp: "<MPY-TIMESTAMP>"}) with no spaces. The vendor documents the
  three headers, the current unix time as MPY-TIMESTAMP, and a 401 for unauthorised requests;
  the name of each refusal and the width of the timestamp window are Herald's, checked against
  a Herald only (@herald-design).

  Signing in changes nothing that outlives the run: with the account a target gives (an email
  and password, or an issued key pair), these scenarios run without --allow-mutating.

  Background:
    Given I am signed in to Mopay

  Scenario: A correctly signed request is accepted
    When I call "user_notice_fetch" signed
    Then the call succeeds

  Scenario Outline: A request without one of the signing headers is refused
    When I call "user_notice_fetch" signed but without the "<header>" header
    Then the call is refused with code 401

    Examples:
      | header        |
      | MPY-SECUREKEY |
      | MPY-TIMESTAMP |
      | MPY-REQSIGNAL |

  @herald-design
  Scenario Outline: Without one of the signing headers a request is rqat_required
    When I call "user_notice_fetch" signed but without the "<header>" header
    Then the call fails with ID "rqat_required" and code 401

    Examples:
      | header        |
      | MPY-SECUREKEY |
      | MPY-TIMESTAMP |
      | MPY-REQSIGNAL |

  @herald-design
  Scenario: Authentication is checked before the parameters
    When I send a GET to "user_notice_fetch?page=%zz"
    Then the call fails with ID "rqat_required" and code 401

  Scenario: A public key that was never issued is refused
    When I call "user_notice_fetch" signed with an unknown public key
    Then the call is refused with code 401

  @herald-design
  Scenario: A public key that was never issued is Unauthorized
    When I call "user_notice_fetch" signed with an unknown public key
    Then the call fails with MSG "Unauthorized" and code 401

  Scenario Outline: A stale or future timestamp is refused, however well signed
    MPY-TIMESTAMP is documented as the current unix time. How far from it a server accepts one
    is not documented; a day is far outside any window.

    When I call "user_notice_fetch" signed with a timestamp <offset> seconds from now
    Then the call is refused with code 401

    Examples:
      | offset |
      | -86400 |
      | 86400  |

  @herald-design
  Scenario Outline: A timestamp outside the 300 second window is refused
    The suite's clock follows the simulator's to the second, and the simulator's keeps
    running: a row 301 s away could land on 300 (the simulator's unit tests hold the exact
    edge, T±300 accepted and T±301 refused). The rows keep 5 s from it, as those inside do.

    When I call "user_notice_fetch" signed with a timestamp <offset> seconds from now
    Then the call fails with MSG "timestamp_expired" and code 401

    Examples:
      | offset |
      | -305   |
      | 305    |
      | -86400 |

  @herald-design
  Scenario Outline: A timestamp inside the window is accepted
    When I call "user_notice_fetch" signed with a timestamp <offset> seconds from now
    Then the call succeeds

    Examples:
      | offset |
      | -290   |
      | 290    |

  @herald-design
  Scenario: A timestamp that is not unix seconds is refused
    When I call "user_notice_fetch" signed with the timestamp "2026-11-22T03:00:00Z"
    Then the call fails with MSG "timestamp_expired" and code 401

  Scenario Outline: A wrongly signed request is refused
    When I call "user_notice_fetch" <signed>
    Then the call is refused with code 401

    Examples:
      | signed                                                      |
      | signed with a tampered signature                            |
      | signed over the timestamp JSON with a space after the colon |

  @herald-design
  Scenario: A tampered signature is refused
    When I call "user_notice_fetch" signed with a tampered signature
    Then the call fails with MSG "signature_invalid" and code 401

  @herald-design
  Scenario: A signature over the timestamp JSON with a space is refused
    Python's default json.dumps writes {"timestamp": "…"} with a space after the colon.
    That is the most common integration mistake, and it gives another signature.

    When I call "user_notice_fetch" signed over the timestamp JSON with a space after the colon
    Then the call fails with MSG "signature_invalid" and code 401

  @herald-design
  Scenario: The signature's hex digits may be uppercase
    When I call "user_notice_fetch" signed in uppercase hex
    Then the call succeeds

  Scenario: Only the timestamp is signed, so one signature serves every action
    When I call "user_notice_fetch" signed
    Then the call succeeds
    When I call "user_location_fetch" with the same signing headers
    Then the call succeeds

  @herald-design @mopay-login
  Scenario: Logging in again on a device revokes its previous key pair
    When I log in again on the same device
    And I call "user_notice_fetch" signed with my previous key pair
    Then the call fails with MSG "Unauthorized" and code 401
    When I call "user_notice_fetch" signed
    Then the call succeeds

  Scenario: The documented base form /?req=<action> reaches the same action
    When I call "user_location_fetch" signed
    And I remember the cntiso of the first record in DATA
    And I call "user_location_fetch" signed through the "?req=" form with query "rtyp=countries&rqvl={country}"
    Then the call succeeds
    And every record in DATA has "cntiso" equal to "{country}"

  Scenario: A GET may carry the documented body {}
    When I call "user_notice_fetch" signed with the body "{}"
    Then the call succeeds

  @rate-limit
  Scenario: A key gets no more than the documented 100 requests a minute
    When I make 100 signed calls to "user_location_fetch"
    Then every one of them succeeds
    When I call "user_location_fetch" signed
    Then the call is refused

  @simulator @herald-design @rate-limit
  Scenario: A key gets 100 requests a minute, then 429
    When I make 100 signed calls to "user_location_fetch"
    Then every one of them succeeds
    When I call "user_location_fetch" signed
    Then the call fails with MSG "rate_limited" and code 429
    And the answer has a "Retry-After" header
    When the simulator clock moves forward by "61s"
    And I call "user_location_fetch" signed
    Then the call succeeds
