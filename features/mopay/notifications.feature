@mopay @notifications @mutating
Feature: Mopay notifications by query type
  As an integrator of Mopay push notifications
  I want to fetch notifications by user, by marker, or all of them
  So that my app shows the right devices and messages

  Background:
    Given I have registered a new Mopay account with the push token "ExponentPushToken[herald-suite]"

  @herald-design
  Scenario: rqtp=user without rqvl returns the caller's notifications
    When I call "user_notification_fetch" signed with query "rqtp=user"
    Then the call succeeds
    And DATA holds 1 record
    And every record in DATA has "userid" equal to "{userid}"
    And every record in DATA has "push_token" equal to "ExponentPushToken[herald-suite]"

  Scenario: rqtp=user with rqvl returns that user's notifications, newest first
    When I call "user_notification_fetch" signed with query "rqtp=user&rqvl={userid}"
    Then the call succeeds
    And every record in DATA has "userid" equal to "{userid}"
    And the records in DATA are newest first

  Scenario: rqtp=mk returns the notification with that marker
    When I call "user_notification_fetch" signed with query "rqtp=user"
    And I remember the marker of the first record in DATA
    And I call "user_notification_fetch" signed with query "rqtp=mk&rqvl={marker}"
    Then the call succeeds
    And DATA holds 1 record
    And every record in DATA has "marker" equal to "{marker}"

  Scenario: rqtp=all returns notifications newest first
    When I call "user_notification_fetch" signed with query "rqtp=all"
    Then the call succeeds
    And DATA holds at least 1 record
    And the records in DATA are newest first

  Scenario: rqtp is required
    When I call "user_notification_fetch" signed
    Then the call fails with ID "rqtp_required" and code 401

  Scenario: An empty rqtp is a missing one
    When I call "user_notification_fetch" signed with query "rqtp="
    Then the call fails with ID "rqtp_required" and code 401

  @herald-design
  Scenario: An unknown rqtp cannot be processed
    When I call "user_notification_fetch" signed with query "rqtp=everything"
    Then the call fails with MSG "process_error" and code 401
    And the error details mention "rqtp"

  @herald-design
  Scenario: rqtp=mk needs a marker
    When I call "user_notification_fetch" signed with query "rqtp=mk"
    Then the call fails with MSG "process_error" and code 401
    And the error details mention "rqvl"

  Scenario: An unknown key is refused with the documented MSG
    When I call "user_notification_fetch" signed with an unknown public key
    Then the call fails with MSG "Unauthorized" and code 401
