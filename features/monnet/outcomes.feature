@monnet @outcomes @webhook @mutating
Feature: Monnet payout notifications for each final outcome
  A payout moves through its stages and only its final stage (SUCCESS or
  REJECTED) is notified to the merchant's receiver, signed over the
  merchantId followed by the raw body.

  Background:
    Given the Monnet merchant's receiver answers 200

  Scenario: A successful payout is notified, signed, as the spec describes, and its status read agrees
    When the Monnet merchant creates a payout with orderId "OUT-SUCCESS"
    Then the Monnet answer has status 201 and payout stage "IN_PROGRESS" and status "CREATED"
    And the Monnet answer conforms to the spec
    When the Monnet payout reaches its final stage
    Then a Monnet SUCCESS notification for the payout arrives
    And the Monnet notification's signature verifies for the merchant with the notifier certificate
    And the Monnet notification's signature does not verify for another merchant or another body
    And the Monnet notification's body conforms to the spec
    And the Monnet notification has amount "100000" as a string
    And the Monnet notification has no "errors" member
    And the Monnet payout's status read agrees with the notification
    And no other Monnet notification for the payout arrives within 1 s

  @herald-design
  Scenario Outline: A rejected payout is notified with its status and error code
    When the Monnet merchant creates a payout with orderId "<order>" and description "HERALD_OUTCOME=<outcome>"
    And the Monnet payout reaches its final stage
    Then a Monnet REJECTED notification for the payout arrives within 30 s
    And the Monnet notification's signature verifies for the merchant with the notifier certificate
    And the Monnet notification's body conforms to the spec
    And the Monnet notification has output status "<status>"
    And the Monnet notification's errors are "<errors>"

    Examples:
      | order     | outcome            | status         | errors |
      | OUT-BANK  | REJECTED_BANK      | REJECTED_BANK  | 1000   |
      | OUT-4099  | REJECTED_BANK:4099 | REJECTED_BANK  | 4099   |
      | OUT-BUSI  | BUSINESS_ERROR     | BUSINESS_ERROR | 2005   |
      | OUT-NOBAL | NO_BALANCE         | NO_BALANCE     | none   |
      | OUT-REV   | REVERSED           | REVERSED       | 4001   |
      | OUT-DENY  | DENIED             | DENIED         | 3007   |
      | OUT-DATA  | DATA_ERROR         | DATA_ERROR     | 1035   |
      | OUT-ERR   | ERROR:4000         | ERROR          | 4000   |

  @simulator @herald-design
  Scenario: The outcome picked through the control API wins over the description
    Given the Monnet outcome of orderId "OUT-CTRL" is picked as "REVERSED" with code "4000"
    When the Monnet merchant creates a payout with orderId "OUT-CTRL" and description "HERALD_OUTCOME=SUCCESS"
    And the Monnet payout reaches its final stage
    Then a Monnet REJECTED notification for the payout arrives within 30 s
    And the Monnet notification has output status "REVERSED"
    And the Monnet notification's errors are "4000"

  @simulator @herald-design
  Scenario: The stages follow the simulator clock and only the final one is notified
    Given the simulator clock is frozen for Monnet
    When the Monnet merchant creates a payout with orderId "OUT-CLOCK"
    Then the Monnet payout's status is "CREATED"
    When the simulator clock moves forward by "1s"
    Then the Monnet payout's status is "AUTHORIZED"
    When the simulator clock moves forward by "1s"
    Then the Monnet payout's status is "WAITING_ROUTING"
    When the simulator clock moves forward by "1s"
    Then the Monnet payout's status is "PENDING_BANK"
    And no Monnet notification for the payout has arrived
    When the simulator clock moves forward by "2s"
    Then the Monnet payout's status is "PROCESSED"
    And a Monnet SUCCESS notification for the payout arrives within 30 s
    And the Monnet receiver has received 1 notification for the payout
