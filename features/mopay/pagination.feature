@mopay @pagination @mopay-account @notice-account
Feature: Mopay notice pagination
  As a QA engineer testing a Mopay client
  I want to walk every page of a user's notices with the timestamp cursor
  So that my client neither skips nor repeats a notice, and stops at the end

  A page holds up to 15 notices, newest first. The next page is asked for with
  page=<pagination of the previous answer>, the timestamp of the last notice of the previous
  page. Past the end Mopay answers response_empty, as a 401. Walking the pages reads and
  changes nothing: with an account with notices, every target runs it.

  Background:
    Given I am signed in to Mopay

  Scenario: Walking every page of notices
    When I walk every page of my notices
    Then every page holds at most 15 notices
    And the notices are newest first across all pages
    And each page's cursor is the recorded time of its last notice
    And the notices all belong to me
    And the call fails with MSG "response_empty" and code 401

  @simulator
  Scenario: The seeded account's notices fill exactly three pages
    When I walk every page of my notices
    Then the pages hold 15, 15 and 7 notices
    And I have seen 37 notices in all

  Scenario: Asking again past the last page is still empty
    When I walk every page of my notices
    And I call "user_notice_fetch" signed with the cursor of the last page
    Then the call fails with MSG "response_empty" and code 401

  Scenario: The documented default cursor is the first page
    When I call "user_notice_fetch" signed
    And I call "user_notice_fetch" signed with query "page=123456789001"
    Then the call succeeds
    And the answer is the same as the one before

  Scenario: A cursor older than every notice is empty
    When I call "user_notice_fetch" signed with query "page=1"
    Then the call fails with MSG "response_empty" and code 401

  @herald-design
  Scenario: A cursor that is not a timestamp cannot be processed
    When I call "user_notice_fetch" signed with query "page=yesterday"
    Then the call fails with MSG "process_failed" and code 401
    And the error details mention "page"

  @herald-design @mutating
  Scenario: A new account starts with one welcome notice
    Given I have registered a new Mopay account
    When I walk every page of my notices
    Then the pages hold 1 notices
    And the call fails with MSG "response_empty" and code 401
