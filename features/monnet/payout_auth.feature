@monnet @auth
Feature: Monnet payout API authentication (HMAC-SHA256 query signature)
  Each request signs {METHOD}:{resourcePath}?timestamp={ts}:{sha256hex(body)}
  with the merchant's API secret; the signature goes in the query, the API key
  in the monnet-api-key header. Every failure is error 1001.

  @mutating
  Scenario: A correctly signed request is accepted
    When the Monnet merchant creates a payout with orderId "AUTH-OK"
    Then the Monnet answer has status 201 and payout stage "IN_PROGRESS" and status "CREATED"
    And the Monnet answer conforms to the spec

  @simulator @mutating
  Scenario: The vendor's own signed example is accepted at its timestamp
    Given the simulator clock is frozen for Monnet at Unix milliseconds 1687543238010
    When the vendor's Monnet HMAC example request is sent as published
    Then the Monnet answer shows the signature was accepted

  @mutating
  Scenario Outline: A badly authenticated request is refused with error 1001
    When the Monnet merchant creates a payout with orderId "<order>" but <fault>
    Then the Monnet answer has error code "1001"
    And the Monnet answer conforms to the spec

    Examples:
      | order      | fault                                     |
      | AUTH-KEY   | with an unknown API key                   |
      | AUTH-NOKEY | without the monnet-api-key header         |
      | AUTH-SIG   | with a signature made with another secret |
      | AUTH-NOSIG | without the signature query parameter     |
      | AUTH-TAMP  | with the body changed after signing       |
      | AUTH-TS    | with the timestamp changed after signing  |
      | AUTH-OPATH | with a signature made over another path   |
      | AUTH-PATH  | with the path of another merchant         |

  @herald-design @mutating
  Scenario Outline: Herald answers 401 and names what is wrong
    When the Monnet merchant creates a payout with orderId "<order>" but <fault>
    Then the Monnet answer has status 401 and error code "1001"
    And the Monnet error message names "<field>"
    And the Monnet answer conforms to the spec

    Examples:
      | order       | fault                                     | field          |
      | AUTH-KEY    | with an unknown API key                   | monnet-api-key |
      | AUTH-NOKEY  | without the monnet-api-key header         | monnet-api-key |
      | AUTH-SIG    | with a signature made with another secret | signature      |
      | AUTH-NOSIG  | without the signature query parameter     | signature      |
      | AUTH-TAMP   | with the body changed after signing       | signature      |
      | AUTH-STALE  | with a timestamp 6 minutes old            | timestamp      |
      | AUTH-FUTURE | with a timestamp -6 minutes old           | timestamp      |
      | AUTH-PATH   | with the path of another merchant         | merchantId     |

  Scenario Outline: A badly authenticated status read is refused with error 1001
    When the Monnet merchant gets the payout with id "1" but <fault>
    Then the Monnet answer has error code "1001"
    And the Monnet answer conforms to the spec

    Examples:
      | fault                                     |
      | with an unknown API key                   |
      | without the monnet-api-key header         |
      | with a signature made with another secret |
      | without the signature query parameter     |
      | with the timestamp changed after signing  |
      | with a signature made over another path   |
      | with the path of another merchant         |

  @herald-design
  Scenario Outline: Herald answers a badly authenticated status read with 401 and names what is wrong
    When the Monnet merchant gets the payout with id "1" but <fault>
    Then the Monnet answer has status 401 and error code "1001"
    And the Monnet error message names "<field>"

    Examples:
      | fault                                     | field          |
      | with an unknown API key                   | monnet-api-key |
      | with a signature made over another path   | signature      |
      | with a timestamp 6 minutes old            | timestamp      |
      | with the path of another merchant         | merchantId     |

  @mutating
  Scenario: A merchant's payout is not shown on another merchant's path
    Given the Monnet merchant created a payout with orderId "AUTH-MINE"
    When the Monnet merchant gets the payout's status but with the path of another merchant
    Then the Monnet answer has error code "1001"
    And the Monnet answer does not show the payout
    And the Monnet answer conforms to the spec

  @mutating
  Scenario: Getting a payout's status is signed over an empty body
    Given the Monnet merchant created a payout with orderId "AUTH-GET"
    When the Monnet merchant gets the payout's status
    Then the Monnet answer has status 200
    And the Monnet answer conforms to the spec
