@monnet
Feature: Monnet payout API errors in the vendor's format
  Bad input gets {"errors":[{"code","message"}]} with the vendor's code naming
  the field; never a 5xx.

  Background:
    Given the Monnet merchant "22" with the vendor's example API key and secret

  Scenario: A repeated orderId is the documented duplicate 2005
    Given merchant "22" created a Monnet payout with orderId "DUP-1"
    When merchant "22" creates a Monnet payout with orderId "DUP-1"
    Then the Monnet answer has status 400 and error code "2005"
    And the Monnet error message is "[orderId] Duplicated"
    And no Monnet notification arrives for the second request

  Scenario Outline: A missing or invalid field is named by its code
    When merchant "22" creates a Monnet payout with <change>
    Then the Monnet answer has status 400 and error code "<code>"
    And the Monnet error message names "<field>"
    And the Monnet answer conforms to the spec

    Examples:
      | change                                  | code | field                            |
      | no "country"                            | 1010 | country                          |
      | no "beneficiary.name"                   | 1015 | beneficiary.name                 |
      | no "destination.bankAccount.bankCode"   | 1023 | destination.bankAccount.bankCode |
      | "amount" as the string "100"            | 1117 | amount                           |
      | an unknown property "beneficiary.alias2"| 1035 | beneficiary.alias2               |
      | a body that is not JSON                 | 1035 | body                             |

  @herald-design
  Scenario: An unknown payout id is not found
    When merchant "22" gets the Monnet payout with id "999999"
    Then the Monnet answer has status 404 and error code "1035"
    And the Monnet error message names "id"
