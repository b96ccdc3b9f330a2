@monnet
Feature: Monnet payout API authentication (HMAC-SHA256 query signature)
  Each request signs {METHOD}:{resourcePath}?timestamp={ts}:{sha256hex(body)}
  with the merchant's API secret; the signature goes in the query, the API key
  in the monnet-api-key header.

  Background:
    Given the Monnet merchant "22" with the vendor's example API key and secret

  Scenario: A correctly signed request is accepted
    When merchant "22" creates a Monnet payout with orderId "AUTH-OK"
    Then the Monnet answer has status 201 and payout stage "IN_PROGRESS" and status "CREATED"
    And the Monnet answer conforms to the spec

  @simulator
  Scenario: The vendor's own signed example is accepted at its timestamp
    Given the simulator clock is frozen at Unix milliseconds 1687543238010
    When the vendor's Monnet HMAC example request is sent as published
    Then the Monnet answer has status 201

  Scenario Outline: A badly authenticated request is refused with error 1001
    When merchant "22" creates a Monnet payout with orderId "<order>" but <fault>
    Then the Monnet answer has status 401 and error code "1001"
    And the Monnet error message names "<field>"
    And the Monnet answer conforms to the spec

    Examples:
      | order     | fault                                        | field          |
      | AUTH-KEY  | with an unknown API key                      | monnet-api-key |
      | AUTH-NOKEY| without the monnet-api-key header            | monnet-api-key |
      | AUTH-SIG  | with a signature made with another secret    | signature      |
      | AUTH-NOSIG| without the signature query parameter        | signature      |
      | AUTH-TAMP | with the body changed after signing          | signature      |

  @herald-design
  Scenario: A stale timestamp is refused
    When merchant "22" creates a Monnet payout with orderId "AUTH-STALE" but with a timestamp 6 minutes old
    Then the Monnet answer has status 401 and error code "1001"
    And the Monnet error message names "timestamp"

  Scenario: Getting a payout's status is signed over an empty body
    Given merchant "22" created a Monnet payout with orderId "AUTH-GET"
    When merchant "22" gets the Monnet payout's status
    Then the Monnet answer has status 200
    And the Monnet answer conforms to the spec
