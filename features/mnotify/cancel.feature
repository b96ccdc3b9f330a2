@mnotify @cancel @mutating
Feature: Cancelling MNotify notifications
  As the developer of a sender information system
  I want to withdraw a notification sent by mistake
  So that it never reaches the citizen, and I learn when it is too late

  Background:
    Given I am MNotify sender "sender-a"

  @simulator @herald-design
  Scenario: A notification not yet transmitted is cancelled
    Given the MNotify simulator clock is frozen at "2025-11-10T09:00:00Z"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Greșit"}, "body": {"ro": "Corp"}, "bodyShort": {"ro": "Corp"},
       "recipients": [{"value": "2222222222222", "type": "IDNP"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "mistake"
    When I send an MNotify DELETE to "/api/Notification/{mistake}"
    Then the MNotify answer has "" equal to "{mistake}"
    And the MNotify notification "mistake" has status "Cancelling"
    When the MNotify simulator clock advances by 1 seconds
    Then the MNotify notification "mistake" has status "Cancelled"

  Scenario: A notification cancelled at once is cancelling, unless it was transmitted already
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Anulat"}, "body": {"ro": "Corp"}, "bodyShort": {"ro": "Corp"},
       "recipients": [{"value": "cancel.at.once@example.md", "type": "Email"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "at once"
    When I send an MNotify DELETE to "/api/Notification/{at once}"
    Then the MNotify answer is the id "at once", unless it was transmitted already
    And the MNotify notification "at once" has status "Cancelling" or "Cancelled"

  Scenario: A transmitted notification cannot be cancelled
    Waits until the target has transmitted it (on a Herald, by moving the simulator clock on).

    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Trimis"}, "body": {"ro": "Corp"}, "bodyShort": {"ro": "Corp"},
       "recipients": [{"value": "transmitted@example.md", "type": "Email"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "gone"
    And the MNotify notification "gone" has been transmitted
    When I send an MNotify DELETE to "/api/Notification/{gone}"
    Then the MNotify answer is a problem 409

  @simulator @herald-design
  Scenario: A cancelled notification cannot be cancelled again
    Given the MNotify simulator clock is frozen at "2025-11-10T09:00:00Z"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "De două ori"}, "body": {"ro": "Corp"}, "bodyShort": {"ro": "Corp"},
       "recipients": [{"value": "2222222222222", "type": "IDNP"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "twice"
    When I send an MNotify DELETE to "/api/Notification/{twice}"
    And I send an MNotify DELETE to "/api/Notification/{twice}"
    Then the MNotify answer is a problem 409

  Scenario: An unknown notification cannot be cancelled
    When I send an MNotify DELETE to "/api/Notification/9d871bac-f99c-4123-be7b-b391009a59db"
    Then the MNotify answer is a problem 404
