@monnet @errors
Feature: Monnet payout API errors in the vendor's format
  Bad input gets {"errors":[{"code","message"}]} with the vendor's code and
  message naming the field; never a 5xx.

  @mutating @webhook
  Scenario: A repeated orderId is the documented duplicate 2005, and pays no second payout
    Given the Monnet merchant's receiver answers 200
    And the Monnet merchant created a payout with orderId "DUP-1"
    When the Monnet merchant creates a payout with orderId "DUP-1" again
    Then the repeated Monnet orderId is refused as the documented duplicate 2005, at once or in a REJECTED notification of its own
    When the Monnet payout reaches its final stage
    Then a Monnet SUCCESS notification for the payout arrives
    And no Monnet notification for another payout with the orderId is a SUCCESS within 1 s

  @herald-design @mutating @webhook
  Scenario: Herald refuses a repeated orderId at once, with 400, and makes no second notification
    Given the Monnet merchant's receiver answers 200
    And the Monnet merchant created a payout with orderId "DUP-2"
    When the Monnet merchant creates a payout with orderId "DUP-2" again
    Then the Monnet answer has status 400 and error code "2005"
    And the Monnet error message is "[orderId] Duplicated"
    When the Monnet payout reaches its final stage
    Then a Monnet SUCCESS notification for the payout arrives within 30 s
    And no other Monnet notification for the payout arrives within 1 s
    And no Monnet notification for another payout with the orderId arrives within 1 s

  @mutating
  Scenario Outline: A missing or invalid field is named by its code
    When the Monnet merchant creates a payout with <change>
    Then the Monnet answer has status 400 and error code "<code>"
    And the Monnet error message names "<field>"
    And the Monnet answer conforms to the spec

    Examples:
      | change                                 | code | field                            |
      | no "country"                           | 1010 | country                          |
      | no "beneficiary.name"                  | 1015 | beneficiary.name                 |
      | no "destination.bankAccount.bankCode"  | 1023 | destination.bankAccount.bankCode |
      | "amount" as the string "100"           | 1117 | amount                           |

    @herald-design
    Examples:
      | change                                   | code | field              |
      | an unknown property "beneficiary.alias2" | 1035 | beneficiary.alias2 |
      | a body that is not JSON                  | 1035 | body               |

  @herald-design @mutating
  Scenario Outline: A request that says two things at once is refused, naming what is repeated
    When the Monnet merchant creates a payout with orderId "<order>" but <fault>
    Then the Monnet answer has status 400 and error code "1035"
    And the Monnet error message names "<field>"
    And the Monnet answer conforms to the spec

    Examples:
      | order   | fault                                             | field          |
      | AMB-SIG | with the query parameter "signature" given twice  | signature      |
      | AMB-TS  | with the query parameter "timestamp" given twice  | timestamp      |
      | AMB-KEY | with the header "monnet-api-key" given twice      | monnet-api-key |

  @herald-design
  Scenario: An unknown payout id is not found
    When the Monnet merchant gets the payout with id "999999"
    Then the Monnet answer has status 404 and error code "1035"
    And the Monnet error message names "id"

  @herald-design @mutating
  Scenario Outline: Herald takes an amount only as a whole number written with digits, and refuses any other number, naming amount
    When the Monnet merchant creates a payout with amount <amount>
    Then the Monnet answer has status 400 and error code "1035"
    And the Monnet error message names "amount"
    And the Monnet answer conforms to the spec

    Examples:
      | amount               |
      | 1e20                 |
      | 1E2                  |
      | 1.0                  |
      | -0                   |
      | -100                 |
      | 0                    |
      | 1000000000000000000  |

  @herald-design @mutating @webhook
  Scenario: An amount beyond a float's precision is kept exactly, up to the signed notification
    Given the Monnet merchant's receiver answers 200
    When the Monnet merchant creates a payout with amount 9007199254740993
    Then the Monnet answer has status 201
    And the Monnet answer has amount 9007199254740993 as written
    When the Monnet payout reaches its final stage
    Then a Monnet SUCCESS notification for the payout arrives within 30 s
    And the Monnet notification has amount "9007199254740993" as a string
    And the Monnet notification's body conforms to the spec
    And the Monnet notification's signature verifies for the merchant with the notifier certificate
    And the Monnet payout's status read has amount 9007199254740993 as written
