@monnet
Feature: Monnet payout notifications for each final outcome
  A payout moves through its stages on the simulator clock and only its final
  stage (SUCCESS or REJECTED) is notified to the merchant's receiver, signed
  over the merchantId followed by the raw body.

  Background:
    Given the Monnet merchant "22" with the vendor's example API key and secret
    And the Monnet notification receiver for merchant "22" answers 200

  Scenario: A successful payout is notified once, signed, as the spec describes
    When merchant "22" creates a Monnet payout with orderId "OUT-SUCCESS"
    Then the Monnet answer has status 201 and payout stage "IN_PROGRESS" and status "CREATED"
    And a Monnet SUCCESS notification for the payout arrives within 10 s
    And the Monnet notification's signature verifies for merchant "22" with the notifier certificate
    And the Monnet notification's body conforms to the spec
    And the Monnet notification has amount "100000" as a string
    And the Monnet notification has no "errors" member
    And no other Monnet notification for the payout arrives within 2 s

  @herald-design
  Scenario Outline: A rejected payout is notified with its status and error code
    When merchant "22" creates a Monnet payout with orderId "<order>" and description "HERALD_OUTCOME=<outcome>"
    Then a Monnet REJECTED notification for the payout arrives within 10 s
    And the Monnet notification's signature verifies for merchant "22" with the notifier certificate
    And the Monnet notification's body conforms to the spec
    And the Monnet notification has output status "<status>"
    And the Monnet notification's errors are "<errors>"

    Examples:
      | order     | outcome                | status         | errors |
      | OUT-BANK  | REJECTED_BANK          | REJECTED_BANK  | 1000   |
      | OUT-4099  | REJECTED_BANK:4099     | REJECTED_BANK  | 4099   |
      | OUT-BUSI  | BUSINESS_ERROR         | BUSINESS_ERROR | 2005   |
      | OUT-NOBAL | NO_BALANCE             | NO_BALANCE     | none   |
      | OUT-REV   | REVERSED               | REVERSED       | 4001   |

  @simulator @herald-design
  Scenario: The outcome picked through the control API wins over the description
    Given the Monnet outcome for merchant "22" and orderId "OUT-CTRL" is "REVERSED" with code "4000"
    When merchant "22" creates a Monnet payout with orderId "OUT-CTRL" and description "HERALD_OUTCOME=SUCCESS"
    Then a Monnet REJECTED notification for the payout arrives within 10 s
    And the Monnet notification has output status "REVERSED"
    And the Monnet notification's errors are "4000"

  @simulator @herald-design
  Scenario: The stages follow the simulator clock and only the final one is notified
    Given the simulator clock is frozen
    When merchant "22" creates a Monnet payout with orderId "OUT-CLOCK"
    Then the Monnet payout's status is "CREATED"
    When the simulator clock advances 1 s
    Then the Monnet payout's status is "AUTHORIZED"
    When the simulator clock advances 1 s
    Then the Monnet payout's status is "WAITING_ROUTING"
    When the simulator clock advances 1 s
    Then the Monnet payout's status is "PENDING_BANK"
    And no Monnet notification for the payout has arrived
    When the simulator clock advances 2 s
    Then the Monnet payout's status is "PROCESSED"
    And a Monnet SUCCESS notification for the payout arrives within 5 s
