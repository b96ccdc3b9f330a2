@monnet @delivery @webhook @simulator @herald-design @mutating
Feature: Monnet notification delivery: retries, byte-identical resends and the delivery log
  Monnet publishes no retry policy for payout notifications; this is Herald's
  design (see specs/monnet.yaml): attempts at 0 s, 10 s, 60 s, 5 min, 30 min
  and 2 h after the final stage, until a 2xx whose body arrives whole within the
  attempt timeout (one cut short is a failed attempt). The simulator clock is frozen so
  that retries happen exactly when it is moved.

  Background:
    Given the simulator clock is frozen for Monnet
    And the Monnet notifier retries at "0s,10s,1m,5m,30m,2h" with an attempt timeout of "1s"

  Scenario: The receiver answers 500, then 200
    Given the Monnet merchant's receiver answers 500, then 200
    When the Monnet merchant creates a payout with orderId "DLV-500"
    And the simulator clock moves forward by "5s"
    Then the Monnet receiver has received 1 notification for the payout
    When the simulator clock moves forward by "10s"
    Then the Monnet receiver has received 2 notifications for the payout
    And the Monnet notifications received for the payout are byte-identical, body and verification header
    And the Monnet delivery log of the payout shows exactly:
      | attempt | after final stage | status | error |
      | 1       | 0 s               | 500    |       |
      | 2       | 10 s              | 200    |       |
    And the Monnet delivery of the payout is "delivered"
    And no Monnet delivery of the payout is pending

  Scenario: The receiver times out, then answers
    Given the Monnet merchant's receiver does not answer within the attempt timeout, then answers 200
    When the Monnet merchant creates a payout with orderId "DLV-TIMEOUT"
    And the simulator clock moves forward by "15s"
    Then the Monnet receiver has received 2 notifications for the payout
    And the Monnet notifications received for the payout are byte-identical, body and verification header
    And the Monnet delivery log of the payout shows exactly:
      | attempt | after final stage | status | error   |
      | 1       | 0 s               | 0      | timeout |
      | 2       | 10 s              | 200    |         |

  Scenario: The receiver is down, then comes back
    Given the Monnet merchant's receiver is down
    When the Monnet merchant creates a payout with orderId "DLV-DOWN"
    And the simulator clock moves forward by "15s"
    Then the Monnet delivery log of the payout shows exactly:
      | attempt | after final stage | status | error            |
      | 1       | 0 s               | 0      | connection error |
      | 2       | 10 s              | 0      | connection error |
    And the Monnet delivery of the payout is "pending"
    When the Monnet merchant's receiver comes back and answers 200
    And the simulator clock moves forward by "50s"
    Then the Monnet receiver has received 1 notification for the payout
    And the Monnet delivery of the payout is "delivered"
    And the Monnet delivery log of the payout has 3 attempts

  Scenario: After the last attempt the notification is marked failed, and every attempt is logged
    Given the Monnet merchant's receiver answers 503
    When the Monnet merchant creates a payout with orderId "DLV-GIVEUP"
    And the simulator clock moves forward by "3h"
    Then the Monnet delivery log of the payout shows exactly:
      | attempt | after final stage | status | error |
      | 1       | 0 s               | 503    |       |
      | 2       | 10 s              | 503    |       |
      | 3       | 60 s              | 503    |       |
      | 4       | 300 s             | 503    |       |
      | 5       | 1800 s            | 503    |       |
      | 6       | 7200 s            | 503    |       |
    And the Monnet delivery of the payout is "failed"
    And the Monnet receiver has received 6 notifications for the payout
    And the Monnet notifications received for the payout are byte-identical, body and verification header

  Scenario: A redelivery on demand is byte-identical and must be acknowledged
    Given the Monnet merchant's receiver answers 200
    When the Monnet merchant creates a payout with orderId "DLV-AGAIN"
    And the simulator clock moves forward by "5s"
    Then the Monnet receiver has received 1 notification for the payout
    When the Monnet notification of the payout is redelivered through the control API
    Then the Monnet receiver has received 2 notifications for the payout
    And the Monnet notifications received for the payout are byte-identical, body and verification header
    And the Monnet delivery log of the payout has 2 attempts, the last marked as a redelivery
