@monnet @simulator @herald-design
Feature: Monnet notification delivery retries, byte-identical resends and the delivery log
  Monnet publishes no retry policy for payout notifications; this is Herald's
  design (see specs/monnet.yaml): attempts at 0 s, 10 s, 60 s, 5 min, 30 min
  and 2 h after the final stage, until a 2xx. The simulator clock is frozen so
  that retries happen exactly when it is advanced.

  Background:
    Given the Monnet merchant "22" with the vendor's example API key and secret
    And the simulator clock is frozen

  Scenario: The receiver answers 500, then 200
    Given the Monnet notification receiver for merchant "22" answers 500, then 200
    When merchant "22" creates a Monnet payout with orderId "DLV-500"
    And the simulator clock advances 5 s
    Then the Monnet receiver has received 1 notification for the payout
    When the simulator clock advances 10 s
    Then the Monnet receiver has received 2 notifications for the payout
    And the Monnet notifications received for the payout are byte-identical, body and verification header
    And the Monnet delivery log of the payout shows exactly:
      | attempt | after final stage | status | error |
      | 1       | 0 s               | 500    |       |
      | 2       | 10 s              | 200    |       |
    And the Monnet delivery of the payout is "delivered"
    And no Monnet delivery is pending

  Scenario: The receiver times out, then answers
    Given the Monnet notification receiver for merchant "22" does not answer within the attempt timeout, then answers 200
    When merchant "22" creates a Monnet payout with orderId "DLV-TIMEOUT"
    And the simulator clock advances 15 s
    Then the Monnet receiver has received 2 notifications for the payout
    And the Monnet notifications received for the payout are byte-identical, body and verification header
    And the Monnet delivery log of the payout shows exactly:
      | attempt | after final stage | status | error   |
      | 1       | 0 s               | 0      | timeout |
      | 2       | 10 s              | 200    |         |

  Scenario: The receiver is down, then comes back
    Given the Monnet notification receiver for merchant "22" is down
    When merchant "22" creates a Monnet payout with orderId "DLV-DOWN"
    And the simulator clock advances 15 s
    Then the Monnet delivery of the payout is "pending"
    And the Monnet delivery log of the payout shows exactly:
      | attempt | after final stage | status | error            |
      | 1       | 0 s               | 0      | connection error |
      | 2       | 10 s              | 0      | connection error |
    When the Monnet notification receiver for merchant "22" comes back and answers 200
    And the simulator clock advances 50 s
    Then the Monnet receiver has received 1 notification for the payout
    And the Monnet delivery of the payout is "delivered"
    And the Monnet delivery log of the payout has 3 attempts

  Scenario: A redelivery on demand is byte-identical and must be acknowledged
    Given the Monnet notification receiver for merchant "22" answers 200
    When merchant "22" creates a Monnet payout with orderId "DLV-AGAIN"
    And the simulator clock advances 5 s
    And the Monnet notification of the payout is redelivered through the control API
    Then the Monnet receiver has received 2 notifications for the payout
    And the Monnet notifications received for the payout are byte-identical, body and verification header
    And the Monnet delivery log of the payout has 2 attempts, the second marked as a redelivery
